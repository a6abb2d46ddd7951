import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../command-context.ts';
import type { Store } from '../db/connection.ts';
import { isPeriod, type Period } from '../period.ts';
import { allocateLines, focusCsv, focusRows, type FocusRow } from './focus.ts';
import { selectExportRun, selectOriginLines, selectOwnerCharges } from './queries.ts';

export interface FocusExport {
  run_id: string;
  period: string;
  rows: FocusRow[];
  origin_charges: number;
}

/** Load the run's invoice lines and allocation, compute the FOCUS rows. */
export async function buildFocusExport(store: Store, input: { period: string; runId?: string }): Promise<FocusExport> {
  if (!isPeriod(input.period)) throw new UserError(`--period must be YYYY-MM (got "${input.period}")`, 'e.g. --period 2026-05');
  const period = input.period as Period;
  const run = await selectExportRun(store.db, period, input.runId);
  if (!run) {
    throw new UserError(
      input.runId ? `run ${input.runId} is not a run of ${period}` : `${period} has no succeeded run to export`,
      input.runId ? '`recon run list --period P` lists the runs of a period' : `run \`recon run --period ${period}\` first`,
    );
  }
  if (run.status !== 'succeeded') throw new UserError(`run ${run.id} ${run.status}; only a succeeded run has an allocation to export`, 'pick a succeeded run with --run');
  const [lines, charges] = await Promise.all([selectOriginLines(store.db, period), selectOwnerCharges(store.db, run.id)]);
  const parts = allocateLines(lines, charges);
  const rows = focusRows(parts, { runId: run.id, period, inputsHash: run.inputs_hash, policyId: `recon-policy:${run.policy_version ?? 'default-1'}` });
  return { run_id: run.id, period, rows, origin_charges: lines.length };
}

/** Writes the export as CSV; returns where and its hash. */
export function writeFocusCsv(result: FocusExport, file: string): { path: string; sha256: string; bytes: number } {
  const text = focusCsv(result.rows);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
  return { path: path.resolve(file), sha256: createHash('sha256').update(text).digest('hex'), bytes: Buffer.byteLength(text) };
}
