import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Store } from '../db/connection.ts';
import type { Period } from '../period.ts';
import { findExport } from '../../jobs/optional-import.ts';

export interface WorkbookFile {
  kind: 'allocation' | 'dispute';
  team: string | null;
  path: string;
  sha256: string;
}

export type WriteWorkbooks = (store: Store, input: { period: Period; runId: string; outDir: string; teams: 'all' | string[] }) => Promise<WorkbookFile[]>;

type Writer = (storeOrDb: unknown, input: Record<string, unknown>) => Promise<unknown>;

const WORKBOOK_MODULES = ['../workbooks/write-workbooks.ts', '../workbooks/workbooks.ts', '../workbooks/index.ts', '../workbooks/commands.ts', '../workbooks/allocation-workbook.ts', '../workbooks/dispute-workbook.ts'].map(
  (p) => new URL(p, import.meta.url),
);

export function fileSha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** The path a writer reported, whatever shape its answer has. */
function pathOf(result: unknown): string {
  if (typeof result === 'string') return result;
  const r = result as { path?: unknown; file?: unknown; files?: { path?: unknown }[] } | undefined;
  const found = r?.path ?? r?.file ?? r?.files?.[0]?.path;
  if (typeof found !== 'string') throw new Error('the workbook writer did not report the path it wrote');
  return found;
}

async function writer(name: 'writeAllocationWorkbook' | 'writeDisputeWorkbook'): Promise<Writer> {
  const fn = await findExport<Writer>(WORKBOOK_MODULES, name);
  if (!fn) throw new Error(`${name} is not available yet (src/workbooks has not landed)`);
  return fn;
}

/** Writes the allocation workbook of a run. */
export async function writeAllocationFile(store: Store, input: { period: Period; runId: string; outDir: string }): Promise<WorkbookFile> {
  const write = await writer('writeAllocationWorkbook');
  const file = pathOf(await write(store, { period: input.period, runId: input.runId, outDir: input.outDir }));
  return { kind: 'allocation', team: null, path: file, sha256: fileSha256(file) };
}

/** Writes one team's dispute workbook of a run. */
export async function writeDisputeFile(store: Store, input: { period: Period; runId: string; outDir: string; team: string }): Promise<WorkbookFile> {
  const write = await writer('writeDisputeWorkbook');
  const file = pathOf(await write(store, { period: input.period, runId: input.runId, outDir: input.outDir, team: input.team }));
  return { kind: 'dispute', team: input.team, path: file, sha256: fileSha256(file) };
}

/** Teams with an allocation in the run: the ones that get a dispute workbook. */
export async function selectRunTeams(store: Store, runId: string): Promise<string[]> {
  const rows = await store.db.selectFrom('run_allocation').select('team').distinct().where('run_id', '=', runId).orderBy('team').execute();
  return rows.map((r) => r.team);
}

/** The allocation workbook and every team's dispute workbook of a run. */
export const writeWorkbooks: WriteWorkbooks = async (store, input) => {
  const files = [await writeAllocationFile(store, input)];
  const teams = input.teams === 'all' ? await selectRunTeams(store, input.runId) : input.teams;
  for (const team of teams) files.push(await writeDisputeFile(store, { ...input, team }));
  return files;
};

/**
 * The file issued for (run, kind, team) in workbook_issue, if it is still on disk with the
 * recorded sha256 (a moved or edited file is not served: it is written again instead).
 */
export async function selectIntactIssuedFile(store: Store, runId: string, kind: 'allocation' | 'dispute', team: string | null): Promise<string | undefined> {
  let query = store.db
    .selectFrom('workbook_issue')
    .select(['path', 'sha256'])
    .where('run_id', '=', runId)
    .where('kind', '=', kind)
    .orderBy('id', 'desc');
  query = team === null ? query.where('team', 'is', null) : query.where('team', '=', team);
  for (const row of await query.execute()) {
    if (fs.existsSync(row.path) && fileSha256(row.path) === row.sha256) return row.path;
  }
  return undefined;
}
