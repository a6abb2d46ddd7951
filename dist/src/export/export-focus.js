import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from "../command-context.js";
import { Decimal } from "../money.js";
import { isPeriod } from "../period.js";
import { correctionRows } from "./corrections.js";
import { focusParquet } from "./focus-parquet.js";
import { allocateLines, focusCsv, focusRows, ownerKey } from "./focus.js";
import { insertExport, selectExportedRows, selectExportRun, selectLastExportRun, selectOriginLines } from "./queries.js";
import { selectRunAllocationRows } from "../allocate/queries.js";
/**
 * Load the run's invoice lines and allocation, compute its FOCUS rows, compare with what was
 * exported for the period before, record what this export adds (one transaction).
 */
export async function exportFocus(store, input) {
    if (!isPeriod(input.period))
        throw new UserError(`--period must be YYYY-MM (got "${input.period}")`, 'e.g. --period 2026-05');
    const period = input.period;
    return store.db.transaction().execute(async (tx) => {
        const run = await selectExportRun(tx, period, input.runId);
        if (!run) {
            throw new UserError(input.runId ? `run ${input.runId} is not a run of ${period}` : `${period} has no succeeded run to export`, input.runId ? '`recon run list --period P` lists the runs of a period' : `run \`recon run --period ${period}\` first`);
        }
        if (run.status !== 'succeeded')
            throw new UserError(`run ${run.id} ${run.status}; only a succeeded run has an allocation to export`, 'pick a succeeded run with --run');
        const [lines, charges, exported, lastRun] = await Promise.all([
            selectOriginLines(tx, period, run.id),
            selectRunAllocationRows(tx, run.id),
            selectExportedRows(tx, period),
            selectLastExportRun(tx, period),
        ]);
        const facts = { runId: run.id, period, inputsHash: run.inputs_hash, policyId: `recon-policy:${run.policy_version ?? 'default-1'}` };
        const parts = allocateLines(lines, charges);
        const rows = focusRows(parts, facts);
        const current = parts.map((p, i) => ({ origin: p.line.id, ownerKey: ownerKey(p), billed: p.billed, ratio: p.ratio, row: rows[i] }));
        const prior = exported.map((e) => ({ origin: e.origin_charge_id, ownerKey: e.owner_key, billed: new Decimal(e.billed_cost), ratio: new Decimal(e.ratio), row: e.row }));
        const added = lastRun === run.id ? [] : prior.length === 0 ? current : correctionRows(prior, current, facts);
        if (added.length > 0 || lastRun === undefined) {
            await insertExport(tx, period, run.id, added.map((r) => ({ origin_charge_id: r.origin, owner_key: r.ownerKey, billed_cost: r.billed.toFixed(), ratio: r.ratio.toFixed(), row: r.row })));
        }
        return {
            run_id: run.id,
            period,
            rows: [...prior, ...added].map((r) => r.row),
            origin_charges: lines.length,
            added: added.length,
            corrections: added.filter((r) => r.row.ChargeClass === 'Correction').length,
        };
    });
}
/** Writes the export as CSV; returns where and its hash. */
export function writeFocusCsv(result, file) {
    const text = focusCsv(result.rows);
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
    return { path: path.resolve(file), sha256: createHash('sha256').update(text).digest('hex'), bytes: Buffer.byteLength(text) };
}
/** The period's FOCUS file as of `runId` (recording what it adds, as `recon export focus` does): for the HTTP service. */
export async function focusFileOfRun(store, period, runId, format) {
    const rows = (await exportFocus(store, { period, runId })).rows;
    return format === 'csv' ? Buffer.from(focusCsv(rows)) : Buffer.from(focusParquet(rows));
}
/** Writes the export as Parquet; returns where and its hash. */
export function writeFocusParquet(result, file) {
    const bytes = Buffer.from(focusParquet(result.rows));
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
    return { path: path.resolve(file), sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
}
