import crypto from 'node:crypto';
import fs from 'node:fs';
import { writeAllocationWorkbook, writeDisputeWorkbook } from "../workbooks/write-workbooks.js";
export function fileSha256(file) {
    return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}
/** Writes the allocation workbook of a run, exactly as `recon workbook` does (and records its issue). */
export async function writeAllocationFile(store, input) {
    const written = await writeAllocationWorkbook(store, { period: input.period, runId: input.runId, outDir: input.outDir });
    return { kind: 'allocation', team: null, path: written.path, sha256: written.sha256 };
}
/** Writes one team's dispute workbook of a run, exactly as `recon workbook --team` does. */
export async function writeDisputeFile(store, input) {
    const written = await writeDisputeWorkbook(store, { period: input.period, runId: input.runId, outDir: input.outDir, team: input.team });
    return { kind: 'dispute', team: input.team, path: written.path, sha256: written.sha256 };
}
/** Teams with an allocation in the run: the ones that get a dispute workbook. */
export async function selectRunTeams(store, runId) {
    const rows = await store.db.selectFrom('run_allocation').select('team').distinct().where('run_id', '=', runId).orderBy('team').execute();
    return rows.map((r) => r.team);
}
/** The allocation workbook and every team's dispute workbook of a run. */
export const writeWorkbooks = async (store, input) => {
    const files = [await writeAllocationFile(store, input)];
    const teams = input.teams === 'all' ? await selectRunTeams(store, input.runId) : input.teams;
    for (const team of teams)
        files.push(await writeDisputeFile(store, { ...input, team }));
    return files;
};
/**
 * The file issued for (run, kind, team) in workbook_issue, if it is still on disk with the
 * recorded sha256 (a moved or edited file is not served: it is written again instead).
 */
export async function selectIntactIssuedFile(store, runId, kind, team) {
    let query = store.db
        .selectFrom('workbook_issue')
        .select(['path', 'sha256'])
        .where('run_id', '=', runId)
        .where('kind', '=', kind)
        .orderBy('id', 'desc');
    query = team === null ? query.where('team', 'is', null) : query.where('team', '=', team);
    for (const row of await query.execute()) {
        if (fs.existsSync(row.path) && fileSha256(row.path) === row.sha256)
            return row.path;
    }
    return undefined;
}
/**
 * One writer per key: callers asking for a key that is being produced get the same promise
 * (parallel first downloads of one workbook wait for one write instead of racing to write it).
 */
export function singleFlight() {
    const inFlight = new Map();
    return (key, produce) => {
        const running = inFlight.get(key);
        if (running)
            return running;
        const started = produce().finally(() => inFlight.delete(key));
        inFlight.set(key, started);
        return started;
    };
}
/**
 * The path of a run's workbook to serve: the issued file when it is intact, else written now
 * (once, however many requests ask for it at the same time).
 */
export function workbookServer(store, outDir) {
    const once = singleFlight();
    return ({ period, runId, kind, team }) => once(JSON.stringify([runId, kind, team]), async () => {
        const issued = await selectIntactIssuedFile(store, runId, kind, team);
        if (issued)
            return issued;
        const written = kind === 'allocation' ? await writeAllocationFile(store, { period, runId, outDir }) : await writeDisputeFile(store, { period, runId, outDir, team: team });
        return written.path;
    });
}
