import type { Readable } from 'node:stream';
import type { Logger } from '../log.ts';
import type { LEDGER_COLUMNS } from './format.ts';
import { dayText, headMonth, newScreenOutcome, screenedColumns, screenLedgerCsv, type ScreenOutcome } from './ledger-csv-screen.ts';
import { HeldRecords } from './held-records.ts';
import type { Runner } from './runner.ts';
import * as q from './queries.ts';
import { judgeMonths, outsideWindowReason, type MonthVerdict } from './month-window.ts';
import { utcDay } from '../period.ts';

// The canonical ledger CSV, screened: Node checks the rows on their way to COPY
// (ledger-csv-screen.ts) and COPY writes the vouched ones, typed, into the month's table when the
// month has no partition yet (the month-end load: no text staging, no second pass; indexed and
// attached after), or into an unlogged table inserted into the month with ON CONFLICT when it
// has one. Held records (rows that fail a check, rows of other months, unusual spellings) go
// through the staging table and the SQL checks afterwards, exactly as a staged file's rows do.

type LedgerColumn = (typeof LEDGER_COLUMNS)[number];

export interface ScreenedLoad {
  read: number;
  rejected: number;
  stored: number;
  untagged: number;
  provider: string | null;
  first: string | null;
  last: string | null;
}

export interface ScreenedHooks {
  /** the file's hash is known: stop if the same bytes were ingested before */
  checkNotKnown(): Promise<void>;
  /** the file's scope is known: replace earlier files it overlaps (when asked) */
  replaceOverlaps(scope: { provider: string | null; first: string | null; last: string | null }): Promise<void>;
}

/**
 * The month the screen would fill (the one most vouched rows of the file's head fall in) and
 * whether it is new; null when the head has no row to vouch for and the file should be staged.
 */
export async function screenableMonth(runner: Runner, head: string, columns: readonly (LedgerColumn | null)[]): Promise<ScreenableMonth | null> {
  const month = headMonth(Buffer.from(head), columns);
  if (month === null) return null;
  const start = new Date(Date.UTC(Math.floor(month / 100), (month % 100) - 1, 1));
  const [partition] = q.monthPartitions(start, start);
  const missing = await runner.query(q.selectMissingPartitions([partition!.name]));
  return { partition: partition!, month, newMonth: missing.length === 1 };
}

/**
 * The month window over the good rows of a staging table (plus `elsewhere`, good rows counted per
 * UTC month outside it): the rows of months that are not the file's are made rejects there.
 */
export async function applyMonthWindow(runner: Runner, stage: string | null, window: number, elsewhere: ReadonlyMap<string, number> = new Map()): Promise<MonthVerdict> {
  const counts = new Map(elsewhere);
  if (stage) for (const row of await runner.query(q.selectStageMonths(stage))) counts.set(row.month, (counts.get(row.month) ?? 0) + Number(row.rows));
  const verdict = judgeMonths(counts, window);
  if (stage) {
    for (const month of verdict.rejected) {
      if (!elsewhere.has(month)) await runner.query(q.rejectStagedMonth(stage, month, outsideWindowReason(month, verdict, window)));
    }
  }
  return verdict;
}

/** The partition of a month given as YYYY-MM. */
export function partitionOf(month: string): q.MonthPartition {
  const start = new Date(`${month}-01T00:00:00Z`);
  return q.monthPartitions(start, start)[0]!;
}

export interface ScreenableMonth {
  partition: q.MonthPartition;
  /** year * 100 + month */
  month: number;
  /** the month has no partition yet */
  newMonth: boolean;
}

/**
 * Loads the file through the screen into `target`. Returns null, with the transaction as it was
 * before, when the screen gave up or COPY refused a row: the caller stages the file instead.
 */
export async function loadScreenedLedger(
  runner: Runner, input: Readable, target: ScreenableMonth, file: { id: string; path: string },
  columns: { screened: readonly (LedgerColumn | null)[]; staged: readonly string[]; extra: number }, hooks: ScreenedHooks, log: Logger | undefined,
  monthWindow: number,
): Promise<ScreenedLoad | null> {
  const held = new HeldRecords();
  try {
    return await screenAndLoad(runner, input, target, file, columns, hooks, log, held, monthWindow);
  } finally {
    held.dispose();
  }
}

async function screenAndLoad(
  runner: Runner, input: Readable, target: ScreenableMonth, file: { id: string; path: string },
  columns: { screened: readonly (LedgerColumn | null)[]; staged: readonly string[]; extra: number }, hooks: ScreenedHooks, log: Logger | undefined,
  heldRecords: HeldRecords, monthWindow: number,
): Promise<ScreenedLoad | null> {
  const month = target.partition;
  const fileId = file.id;
  const table = q.screenedTable(month, fileId, target.newMonth);
  const stageTable = q.stageName(fileId);
  const plan = { columns: columns.screened, month: target.month, hold: (record: Buffer) => heldRecords.add(record) };
  const outcome = newScreenOutcome();
  let phaseStart = process.hrtime.bigint();
  const phase = (name: string) => {
    const now = process.hrtime.bigint();
    log?.debug('ingest phase', { file: file.path, phase: name, seconds: Math.round(Number(now - phaseStart) / 1e6) / 1000 });
    phaseStart = now;
  };
  await runner.exec('savepoint screen');
  try {
    for (const statement of q.createScreenedTable(table, fileId)) await runner.exec(statement);
    await runner.copy(() => q.copyIntoScreenedTable(table, screenedColumns(plan)), screenLedgerCsv(input, plan, outcome), false);
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    // 22xxx / 23xxx: COPY refused a row the screen passed (it never should); 42P07: another
    // ingest created the month first. Either way the staged path decides.
    if (!code.startsWith('22') && !code.startsWith('23') && code !== '42P07') throw error;
    outcome.gaveUp = `COPY refused a screened row (${code}): ${(error as Error).message}`;
  }
  // the head promised a row of this month; without one the days below would be undefined
  if (!outcome.gaveUp && outcome.vouched === 0) outcome.gaveUp = 'no row of the month to vouch for';
  if (outcome.gaveUp) {
    log?.debug('screened load not possible; staging the file', { reason: outcome.gaveUp });
    await runner.exec('rollback to savepoint screen');
    input.destroy();
    return null;
  }
  phase('screened copy');
  await hooks.checkNotKnown();

  let held = await stageHeld(runner, outcome.heldRecords, heldRecords, stageTable, columns.extra, columns.staged);
  // The month window over the screened month and the held rows' months. Should the screened
  // month itself not be the file's (the head's rows are the strays), the staged path decides.
  const screenedMonth = `${Math.floor(target.month / 100)}-${String(target.month % 100).padStart(2, '0')}`;
  const verdict = await applyMonthWindow(runner, held ? stageTable : null, monthWindow, new Map([[screenedMonth, outcome.vouched]]));
  if (verdict.rejected.includes(screenedMonth)) {
    log?.debug('the screened month is outside the file\'s months; staging the file', { month: screenedMonth });
    await runner.exec('rollback to savepoint screen');
    return null;
  }
  await runner.exec('release savepoint screen');
  if (held && verdict.rejected.length > 0) held = (await runner.query(q.selectStageScope(stageTable)))[0]!;
  if (outcome.providerNeedsLower) await runner.exec(q.lowerScreenedProviders(table));
  let provider = outcome.provider ?? null;
  if (outcome.providerNeedsLower) {
    const [counted] = await runner.query(q.countScreenedTable(table));
    provider = counted!.min_provider !== null && counted!.min_provider === counted!.max_provider ? counted!.min_provider : null;
  }
  if (held?.rows_read && Number(held.rows_read) > Number(held.rows_rejected)) {
    if (held.min_provider !== held.max_provider || held.min_provider !== provider) provider = null;
  }
  const local = [outcome.minLocalDay, outcome.maxLocalDay].map(dayText);
  const heldLocal = held?.min_local && held.max_local ? [held.min_local.slice(0, 10), held.max_local.slice(0, 10)] : null;
  const scope = {
    provider,
    first: heldLocal && heldLocal[0]! < local[0]! ? heldLocal[0]! : local[0]!,
    last: heldLocal && heldLocal[1]! > local[1]! ? heldLocal[1]! : local[1]!,
  };
  await hooks.replaceOverlaps(scope);
  if (held) await runner.query(q.quarantineStagedLedger(stageTable, fileId, file.path, 0));

  phase('held rows staged');
  const stored = table.newMonth ? await indexAndAttach(runner, table, outcome) : await insertIntoMonth(runner, table);
  phase(table.newMonth ? 'indexed and attached' : 'inserted');
  // the days of the stored rows (a new month stores every vouched row, a repeat on the same day)
  let days: { first: string; last: string } | null = null;
  const widen = (first: string, last: string) => {
    days = days === null ? { first, last } : { first: first < days.first ? first : days.first, last: last > days.last ? last : days.last };
  };
  if (table.newMonth) widen(dayText(outcome.minUtcDay), dayText(outcome.maxUtcDay));
  else if (stored.min_ts && stored.max_ts) widen(utcDay(stored.min_ts), utcDay(stored.max_ts));

  // A partition for each other month that holds accepted rows, none for a month without.
  for (const month of verdict.accepted) {
    if (month === screenedMonth) continue;
    const partition = partitionOf(month);
    await runner.query(q.ensurePartitions(new Date(partition.start), new Date(partition.start)));
  }
  let moved = { stored: 0, untagged: 0 };
  if (held?.min_local && held.max_local) {
    const [result] = await runner.query(q.moveStagedLedger(stageTable, fileId, 0));
    moved = { stored: Number(result!.rows_stored), untagged: Number(result!.rows_untagged) };
    if (result!.min_ts && result!.max_ts) widen(utcDay(result!.min_ts), utcDay(result!.max_ts));
  }
  if (held) await runner.exec(`drop table ${stageTable}`);
  const storedDays = days as { first: string; last: string } | null;
  return {
    read: outcome.records,
    rejected: held ? Number(held.rows_rejected) : 0,
    stored: stored.stored + moved.stored,
    untagged: stored.untagged + moved.untagged,
    provider: scope.provider,
    // nothing stored (all duplicates): the wall-clock days of the good rows, as for a staged file
    first: storedDays?.first ?? scope.first,
    last: storedDays?.last ?? scope.last,
  };
}

/** The held records into the text staging table, checked there as any staged row; null if none. */
async function stageHeld(runner: Runner, count: number, held: HeldRecords, stageTable: string, extraColumns: number, stageColumns: readonly string[]): Promise<q.StageScope | null> {
  if (count === 0) return null;
  await runner.exec(q.createLedgerStage(stageTable, extraColumns));
  await runner.copy(() => q.copyIntoStage(stageTable, ['line', ...stageColumns], false), held.stream(), false);
  const [scope] = await runner.query(q.selectStageScope(stageTable));
  return scope!;
}

/**
 * The month's indexes, then the month attached as a partition. A request twice in the file makes
 * the unique index fail: the later copies are deleted (the first in the file stays, as with the
 * deduplicating insert) and the index is built again.
 */
async function indexAndAttach(runner: Runner, table: q.ScreenedTable, outcome: ScreenOutcome): Promise<{ stored: number; untagged: number; min_ts?: null; max_ts?: null }> {
  let stored = { stored: outcome.vouched, untagged: outcome.untagged };
  await runner.exec(q.dropScreenedDefault(table));
  const statements = q.indexAndAttachMonth(table.month);
  await runner.exec('savepoint screened_index');
  try {
    await runner.query(statements[0]!);
  } catch (error) {
    if ((error as { code?: string }).code !== '23505') throw error;
    await runner.exec('rollback to savepoint screened_index');
    await runner.exec(q.deleteRepeatedRequests(table));
    const [counted] = await runner.query(q.countScreenedTable(table));
    stored = { stored: Number(counted!.rows_stored), untagged: Number(counted!.rows_untagged) };
    await runner.query(statements[0]!);
  }
  await runner.exec('release savepoint screened_index');
  for (const statement of statements.slice(1)) await runner.query(statement);
  await runner.exec(q.dropScreenedBounds(table));
  return stored;
}

/** A month that exists already: the screened rows are inserted, requests already stored skipped. */
async function insertIntoMonth(runner: Runner, table: q.ScreenedTable): Promise<{ stored: number; untagged: number; min_ts: Date | null; max_ts: Date | null }> {
  const [inserted] = await runner.query(q.insertScreenedRows(table));
  await runner.exec(q.dropScreenedTable(table));
  return { stored: Number(inserted!.rows_stored), untagged: Number(inserted!.rows_untagged), min_ts: inserted!.min_ts, max_ts: inserted!.max_ts };
}
