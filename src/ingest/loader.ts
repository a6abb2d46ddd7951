import path from 'node:path';
import { pipeline, Readable } from 'node:stream';
import type { Store } from '../db/connection.ts';
import { UserError } from '../command-context.ts';
import type { Logger } from '../log.ts';
import type { CanonicalInvoiceLine, CanonicalLedgerRow, CanonicalUsageRow, ParsedRow, Reject, SourceFormat } from './format.ts';
import { LEDGER_COLUMNS } from './format.ts';
import { Decimal } from '../money.ts';
import { csvLine } from './csv-text.ts';
import { printable, textProblem } from './text-bytes.ts';
import { headerOf } from './csv-records.ts';
import { missingLedgerColumns } from './ledger-formats/canonical.ts';
import { DamagedJson } from './ledger-formats/json-stream.ts';
import { chooseFormat, formatsOf, type IngestKind } from './registry.ts';
import { createRunner, type Runner } from './runner.ts';
import { hashFile, openSource, readHead, statSource, type SourceFile } from './source.ts';
import { applyMonthWindow, loadScreenedLedger, partitionOf, screenableMonth } from './screened-ledger.ts';
import * as q from './queries.ts';
import { dayStart, rollUpLedgerFiles } from './ledger-rollup.ts';
import type { Execute } from '../db/planner-settings.ts';
import { selectClosedPeriodsOverlapping } from '../run/queries.ts';
import { COUNTING_STATUS } from './files-that-count.ts';
import { PromptReadings, type CacheWritesFlag, type ReadingCount } from './ledger-formats/litellm-prompt.ts';
import { utcDay } from '../period.ts';
import { lineShiftWatcher } from './csv-line-map.ts';

export interface IngestOptions {
  kind: IngestKind;
  path: string;
  /** --format; detected from the content when absent */
  format?: string;
  /** --replace: earlier overlapping files of the same kind and provider (and earlier loads of the same bytes) are replaced */
  replace?: boolean;
  reason?: string;
  /** --reopen: a replace may retire files of a closed period (its closed run keeps its record) */
  reopen?: boolean;
  /** --mapping: the user's SKU mapping file, passed to provider parsers */
  mappingFile?: string;
  log?: Logger;
  /** called as bytes of the file are read (for a progress bar) */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** setting ingest.monthWindow: ledger rows more than this many months from the file's other rows are rejected (default 1) */
  monthWindow?: number;
  /** load a canonical CSV through the staging table even where the screen could take it (the tests compare the two) */
  staged?: boolean;
  /** --litellm-cache-writes: how LiteLLM rows whose numbers leave open what prompt_tokens held are read */
  litellmCacheWrites?: CacheWritesFlag;
}

export interface IngestResult {
  file: string;
  kind: IngestKind;
  format: string;
  status: 'loaded' | 'duplicate';
  already_ingested: boolean;
  ingested_file_id: string;
  bytes: number;
  provider: string | null;
  first_day: string | null;
  last_day: string | null;
  rows_read: number;
  rows_stored: number;
  rows_duplicate: number;
  rows_rejected: number;
  rows_untagged: number;
  /** rows a reader passed over as not AI model spend of recon's providers (the rest of a cloud bill) */
  rows_skipped: { count: number; amount: string; services: string[] };
  replaced_file_ids: string[];
  /** closed periods a replace (with --reopen) changed the inputs of: rerun them with --reopen */
  reopened_periods: string[];
  seconds: number;
  rows_per_second: number;
  /** LiteLLM SpendLogs: rows by how their prompt_tokens were read (empty for other formats) */
  prompt_readings: ReadingCount[];
}

class AlreadyIngested extends Error {
  constructor(readonly fileId: string) {
    super('already ingested');
  }
}

const BATCH = 1000;
const DEFAULT_MONTH_WINDOW = 1;

/**
 * Ingests one file in one transaction: the same bytes twice change nothing; a kill mid-file
 * leaves the database as it was. Returns the summary printed by `recon ingest`.
 */
export async function ingestFile(store: Store, options: IngestOptions): Promise<IngestResult> {
  const started = process.hrtime.bigint();
  const filePath = path.resolve(options.path);
  let source: SourceFile;
  try {
    source = statSource(filePath);
  } catch (error) {
    throw new UserError(`cannot read ${options.path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, 'check the path');
  }
  const head = await readHead(source).catch((error: Error) => {
    throw new UserError(`cannot read ${options.path}: ${error.message}`, 'is it a complete (gzip) file?');
  });
  const format = chooseFormat(options.kind, head, filePath, options.format);
  if (!format && !options.format) {
    // A file of another kind (a usage CSV given as an invoice, or the reverse) names what it is.
    for (const other of (['ledger', 'invoice', 'usage'] as const).filter((k) => k !== options.kind)) {
      const resembles = chooseFormat(other, head, filePath);
      if (resembles) {
        throw new UserError(`${options.path} is not ${options.kind === "invoice" ? "an" : "a"} ${options.kind} file: it looks like ${resembles.name} (${resembles.description}), a ${other} format`, `run recon ingest ${other} ${options.path}`);
      }
    }
  }
  if (format && options.format && !format.detect(head, filePath)) {
    const resembles = chooseFormat(options.kind, head, filePath);
    if (resembles) throw new UserError(`${options.path} is not ${format.name}: it looks like ${resembles.name} (${resembles.description})`, `drop --format, or pass --format ${resembles.name}`);
  }
  if (!format) {
    const names = formatsOf(options.kind).map((f) => f.name).join(', ') || '(none registered yet)';
    throw new UserError(
      options.format ? `unknown ${options.kind} format "${options.format}"` : `cannot tell the format of ${options.path} from its content`,
      `pass --format with one of: ${names}`,
    );
  }
  if (options.replace && !options.reason?.trim()) throw new UserError('--replace needs --reason "..." (it is recorded with the replacement)', 'add --reason "corrected export from the provider"');

  if (options.reopen && !options.replace) throw new UserError('--reopen is only used with --replace', 'add --replace --reason "...", or drop --reopen');
  const log = options.log;
  log?.info('ingest file', { file: filePath, kind: options.kind, format: format.name, bytes: source.bytes, gzip: source.gzip });

  // A file of the same size was ingested before: hash first, so identical bytes cost no load.
  // A replace loads the bytes again whatever was loaded before (e.g. under another --format).
  const sameSize = options.replace ? [] : await q.findFilesBySize(store.db, options.kind, source.bytes).execute();
  if (sameSize.length > 0) {
    const known = await q.findFilesByHash(store.db, options.kind, await hashFile(filePath)).executeTakeFirst();
    if (known) return duplicateResult(options.kind, format.name, filePath, source.bytes, known.id, started);
  }

  try {
    return await store.withRawClient(async (raw) => {
      const runner = createRunner(raw, store.db);
      await runner.exec('begin');
      try {
        const result = await loadInTransaction(store, runner, source, format, head, options, started);
        await runner.exec('commit');
        if (options.kind === 'ledger' && result.first_day && result.last_day && result.rows_stored > 0) {
          // Fresh statistics for the months just loaded: without them the run's planner takes a
          // month of millions of rows for an empty table.
          const months = q.monthPartitions(new Date(`${result.first_day}T00:00:00Z`), new Date(`${result.last_day}T00:00:00Z`));
          const missing = new Set((await runner.query(q.selectMissingPartitions(months.map((m) => m.name)))).map((m) => m.name));
          for (const month of months) if (!missing.has(month.name)) await runner.exec(`analyze ${month.name}`);
        }
        return result;
      } catch (error) {
        await runner.exec('rollback').catch(() => undefined);
        const code = (error as { code?: string }).code;
        if (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR') {
          throw new UserError(`cannot read ${options.path}: the gzip data is truncated or corrupt (${(error as Error).message}); nothing was stored`, 'copy the complete file again and rerun', 1);
        }
        throw error;
      }
    });
  } catch (error) {
    if (error instanceof AlreadyIngested) return duplicateResult(options.kind, format.name, filePath, source.bytes, error.fileId, started);
    // Two ingests of the same bytes at once: the loser's check ran before the winner committed,
    // and the unique index on loaded files' hashes stops it at the end. It is the same outcome.
    if (!options.replace && (error as { code?: string; constraint?: string }).code === '23505' && /ingested_file_kind_sha256/.test(`${(error as { constraint?: string }).constraint ?? ''} ${(error as Error).message}`)) {
      const [known] = await q.findFilesByHash(store.db, options.kind, await hashFile(source.path)).execute();
      if (known) return duplicateResult(options.kind, format.name, filePath, source.bytes, known.id, started);
    }
    throw error;
  }
}

async function loadInTransaction(store: Store, runner: Runner, source: SourceFile, format: SourceFormat<unknown>, head: string, options: IngestOptions, started: bigint): Promise<IngestResult> {
  const [fileRow] = await runner.query(q.insertFileRow(store.db, { kind: options.kind, format: format.name, path: source.path, bytes: source.bytes }));
  const fileId = fileRow!.id;
  const opened = openSource(source, options.onProgress ? (n) => options.onProgress!(n, source.bytes) : undefined);
  const promptReadings = new PromptReadings();
  const parseOptions = { ...options, promptReadings };
  let stream = opened.stream;
  const meter = opened.meter;

  let counts = { read: 0, stored: 0, valid: 0, rejected: 0, untagged: 0 };
  const skipped = { count: 0, amount: new Decimal(0), services: new Set<string>() };
  const onSkipped = (service: string, amount: string | null) => {
    skipped.count += 1;
    skipped.services.add(service);
    if (amount !== null && /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(amount.trim())) skipped.amount = skipped.amount.plus(amount.trim());
  };
  let scope: { provider: string | null; first: string | null; last: string | null } = { provider: null, first: null, last: null };
  let replaced: string[] = [];
  let reopened: string[] = [];
  let phaseStart = process.hrtime.bigint();
  const phase = (name: string) => {
    const now = process.hrtime.bigint();
    options.log?.debug('ingest phase', { file: source.path, phase: name, seconds: round(Number(now - phaseStart) / 1e9) });
    phaseStart = now;
  };
  const replaceOverlaps = async () => {
    if (!scope.first || !scope.last) return;
    const overlapping = await runner.query(q.findOverlappingFiles(store.db, options.kind, fileId, scope.provider, scope.first, scope.last));
    if (options.replace) {
      // an earlier load of these very bytes (under another format, say) is replaced as well
      const same = (await runner.query(q.findFilesByHash(store.db, options.kind, meter.digest()))).filter((f) => f.status === COUNTING_STATUS);
      for (const f of same) if (!overlapping.some((o) => o.id === f.id)) overlapping.push({ id: f.id, path: f.path, provider: null, first_day: f.first_day, last_day: f.last_day });
    }
    if (overlapping.length === 0) return;
    if (!options.replace) {
      if (options.kind === 'ledger') return; // overlapping ledgers are fine: requests are deduplicated
      const list = overlapping.map((f) => `#${f.id} ${f.path} (${f.first_day}..${f.last_day})`).join('; ');
      throw new UserError(
        `${source.path} overlaps ${options.kind} file(s) already loaded for ${scope.provider ?? 'the same providers'} on the same days: ${list}`,
        `if this is a corrected export, rerun with --replace --reason "..."; to keep both, they must cover different days`,
      );
    }
    // A closed period's inputs change only on purpose: its closed run keeps its record either way
    // (the replaced rows are retired, not deleted), but its next run would read the new file.
    const ranges = [{ first: scope.first, last: scope.last }, ...overlapping.filter((f) => f.first_day && f.last_day).map((f) => ({ first: f.first_day!, last: f.last_day! }))];
    const closed = await runner.query(selectClosedPeriodsOverlapping(ranges));
    if (closed.length > 0 && !options.reopen) {
      const list = closed.map((p) => `${p.period} (closed by run ${p.closed_by_run ?? '?'})`).join(', ');
      throw new UserError(
        `${source.path} would replace ${options.kind} data of closed period(s) ${list}; nothing was stored`,
        `if the closed numbers must change, rerun with --replace --reopen --reason "...", then rerun the period with recon run --period ${closed[0]!.period} --reopen --reason "..."`,
      );
    }
    reopened = closed.map((p) => p.period);
    replaced = overlapping.map((f) => f.id);
    await runner.query(q.markReplaced(store.db, replaced, fileId, options.reason!.trim()));
    await runner.query(q.retireRowsOfFiles(options.kind, replaced, fileId));
    options.log?.info('replaced earlier files', { file: source.path, replaced, reopened_periods: reopened });
  };

  if (options.kind === 'ledger') {
    const stageTable = q.stageName(fileId);
    const fast = format.name === 'canonical-csv';
    let lineOffset = 0;
    let staged = true;
    if (fast) {
      const header = headerOf(head);
      const missing = missingLedgerColumns(header);
      if (missing.length > 0) throw new UserError(`${source.path}: the header lacks required column(s) ${missing.join(', ')}`, 'see README.md, "Canonical ledger", for the columns');
      const seen = new Set<string>();
      let extra = 0;
      const columns = header.map((name) => {
        if ((LEDGER_COLUMNS as readonly string[]).includes(name) && !seen.has(name)) {
          seen.add(name);
          return name;
        }
        extra += 1;
        return `extra_${extra}`;
      });
      const screenedColumns = columns.map((name) => ((LEDGER_COLUMNS as readonly string[]).includes(name) ? (name as (typeof LEDGER_COLUMNS)[number]) : null));
      const month = options.staged ? null : await screenableMonth(runner, head, screenedColumns);
      if (month) {
        const hooks = {
          checkNotKnown: () => checkNotKnown(runner, store, options.kind, meter.digest(), options.replace),
          replaceOverlaps: async (found: typeof scope) => {
            scope = found;
            await replaceOverlaps();
          },
        };
        const screened = await loadScreenedLedger(runner, stream, month, { id: fileId, path: source.path }, { screened: screenedColumns, staged: columns, extra }, hooks, options.log, options.monthWindow ?? DEFAULT_MONTH_WINDOW);
        if (screened) {
          staged = false;
          scope = { provider: screened.provider, first: screened.first, last: screened.last };
          counts = { read: screened.read, stored: screened.stored, valid: screened.read - screened.rejected, rejected: screened.rejected, untagged: screened.untagged };
          phase('screened load');
        } else {
          const again = openSource(source);
          stream = again.stream;
          meter.digest = again.meter.digest;
        }
      }
      if (staged) {
        await runner.exec(q.createLedgerStage(stageTable, extra));
        // COPY preserves file order: the identity column numbers records, line = record + 1 (header).
        lineOffset = 1;
        await runner.exec('savepoint copy_stage');
        try {
          // where a quoted field held a newline, later records sit on later lines than COPY's numbers say
          const watcher = lineShiftWatcher();
          await runner.copy((h) => q.copyIntoStage(stageTable, columns, h), pipeline(stream, watcher.stream, () => undefined), true);
          const shifts = watcher.shifts();
          if (shifts.fromRecord.length > 0) await runner.query(q.shiftStagedLines(stageTable, shifts));
        } catch (error) {
          const code = (error as { code?: string }).code;
          // 22P04: a row with too many/few fields, 22021/22P05: bytes that are not UTF-8. COPY stops at
          // the first one; the record-by-record reader quarantines such rows instead.
          if (code !== '22P04' && code !== '22021' && code !== '22P05' && code !== '22P02') throw error;
          options.log?.warn('COPY refused a malformed row; reading the file record by record', { file: source.path, error: (error as Error).message });
          await runner.exec('rollback to savepoint copy_stage');
          await runner.exec(`truncate ${stageTable}`);
          stream.destroy();
          const again = openSource(source);
          lineOffset = 0;
          await stageParsedRows(runner, stageTable, format as SourceFormat<CanonicalLedgerRow>, again.stream, source, parseOptions);
          meter.digest = again.meter.digest;
        }
      }
    } else {
      await runner.exec(q.createLedgerStage(stageTable, 0));
      await stageParsedRows(runner, stageTable, format as SourceFormat<CanonicalLedgerRow>, stream, source, parseOptions);
    }
    if (staged) {
      phase('stage');
      options.log?.info('file staged and checked; storing the good rows', { file: source.path });
      await checkNotKnown(runner, store, options.kind, meter.digest(), options.replace);

      const verdict = await applyMonthWindow(runner, stageTable, options.monthWindow ?? DEFAULT_MONTH_WINDOW);
      const [stage] = await runner.query(q.selectStageScope(stageTable));
      const read = Number(stage!.rows_read);
      const provider = stage!.min_provider !== null && stage!.min_provider === stage!.max_provider ? stage!.min_provider : null;
      scope = { provider, first: stage!.min_local?.slice(0, 10) ?? null, last: stage!.max_local?.slice(0, 10) ?? null };
      phase('scope');
      await replaceOverlaps();
      await runner.query(q.quarantineStagedLedger(stageTable, fileId, source.path, lineOffset));
      let moved: q.MoveResult = { rows_stored: '0', rows_untagged: '0', min_ts: null, max_ts: null };
      if (verdict.accepted.length > 0) moved = await moveIntoMonths(runner, stageTable, fileId, lineOffset, verdict.accepted.map(partitionOf), options.log);
      const rejected = Number(stage!.rows_rejected);
      if (moved.min_ts && moved.max_ts) scope = { ...scope, first: utcDay(moved.min_ts), last: utcDay(moved.max_ts) };
      phase('move');
      counts = { read, stored: Number(moved.rows_stored), valid: read - rejected, rejected, untagged: Number(moved.rows_untagged) };
      await runner.exec(`drop table ${stageTable}`);
    }
  } else {
    const result = await loadRows(store, runner, fileId, format, stream, source, { ...options, onSkipped });
    await checkNotKnown(runner, store, options.kind, meter.digest(), options.replace);
    const [rowScope] = await runner.query(q.selectRowScope(options.kind, fileId));
    const provider = rowScope!.min_provider !== null && rowScope!.min_provider === rowScope!.max_provider ? rowScope!.min_provider : null;
    scope = { provider, first: rowScope!.first_day, last: rowScope!.last_day };
    await replaceOverlaps();
    counts = { read: result.read, stored: result.stored, valid: result.stored, rejected: result.rejected, untagged: 0 };
  }

  if (options.kind === 'ledger') {
    // the file's records as groups for pricing; the slack covers wall-clock days off by one
    const execute: Execute = (query) => runner.query(query);
    // nothing stored: an empty range, so the file is marked rolled up with no groups
    const none = '2000-01-01T00:00:00.000Z';
    const [from, to] = counts.stored > 0 && scope.first && scope.last ? [dayStart(scope.first, -1), dayStart(scope.last, 2)] : [none, none];
    const grouped = await rollUpLedgerFiles(execute, [fileId], from, to);
    // Pricing trusts the roll-up: a record it missed would silently go unpriced.
    if (grouped !== BigInt(counts.stored)) {
      throw new Error(`internal error: the roll-up of ${source.path} holds ${grouped} records but ${counts.stored} were stored; nothing was loaded. Please report this with the file.`);
    }
    phase('roll-up');
  }
  if (counts.valid === 0 && counts.rejected > 0) await refuseWhole(runner, store, source, format, options.kind, fileId, counts.rejected);
  const duplicate = counts.valid - counts.stored;
  await runner.query(
    q.finishFileRow(store.db, fileId, {
      sha256: meter.digest(),
      provider: scope.provider,
      first_day: scope.first,
      last_day: scope.last,
      rows_read: String(counts.read),
      rows_stored: String(counts.stored),
      rows_duplicate: String(duplicate),
      rows_rejected: String(counts.rejected),
      rows_untagged: String(counts.untagged),
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    file: source.path,
    kind: options.kind,
    format: format.name,
    status: 'loaded',
    already_ingested: false,
    ingested_file_id: fileId,
    bytes: source.bytes,
    provider: scope.provider,
    first_day: scope.first,
    last_day: scope.last,
    rows_read: counts.read,
    rows_stored: counts.stored,
    rows_duplicate: duplicate,
    rows_rejected: counts.rejected,
    rows_untagged: counts.untagged,
    rows_skipped: { count: skipped.count, amount: skipped.amount.toFixed(), services: [...skipped.services].sort() },
    replaced_file_ids: replaced,
    reopened_periods: reopened,
    seconds: round(seconds),
    rows_per_second: seconds > 0 ? Math.round(counts.read / seconds) : counts.read,
    prompt_readings: promptReadings.list(),
  };
}

/**
 * Good staged rows into ledger_record. When every month of the file is new (the month-end load),
 * the months are filled as plain tables, indexed, then attached as partitions; if building the
 * unique index finds a request twice, that attempt is undone and the rows go through the
 * deduplicating insert like any other file.
 */
async function moveIntoMonths(runner: Runner, stage: string, fileId: string, lineOffset: number, months: q.MonthPartition[], log: Logger | undefined): Promise<q.MoveResult> {
  const missing = await runner.query(q.selectMissingPartitions(months.map((m) => m.name)));
  if (missing.length === months.length && months.length <= 3) {
    await runner.exec('savepoint new_months');
    try {
      const parts: q.MoveResult[] = [];
      for (const month of months) {
        await runner.query(q.createDetachedMonth(month));
        parts.push((await runner.query(q.moveStagedLedger(stage, fileId, lineOffset, month)))[0]!);
        for (const statement of q.indexAndAttachMonth(month)) await runner.query(statement);
      }
      await runner.exec('release savepoint new_months');
      const times = parts.flatMap((p) => [p.min_ts, p.max_ts]).filter((t): t is Date => t !== null).map((t) => new Date(t).getTime());
      return {
        rows_stored: String(parts.reduce((n, p) => n + Number(p.rows_stored), 0)),
        rows_untagged: String(parts.reduce((n, p) => n + Number(p.rows_untagged), 0)),
        min_ts: times.length ? new Date(Math.min(...times)) : null,
        max_ts: times.length ? new Date(Math.max(...times)) : null,
      };
    } catch (error) {
      // 23505: the file holds the same request twice; 42P07: another ingest created the month first
      const code = (error as { code?: string }).code;
      if (code !== '23505' && code !== '42P07') throw error;
      log?.debug('new-month fast path not possible; deduplicating insert', { code });
      await runner.exec('rollback to savepoint new_months');
    }
  }
  // a partition for each month that holds accepted rows, none for the months between
  for (const month of months) await runner.query(q.ensurePartitions(new Date(month.start), new Date(month.start)));
  return (await runner.query(q.moveStagedLedger(stage, fileId, lineOffset)))[0]!;
}

/**
 * A file none of whose rows could be read (a wrong --format, another provider's export) is refused
 * whole: the transaction is rolled back, so it is not recorded as loaded and its bytes do not count
 * as ingested. The first reasons go into the message.
 */
async function refuseWhole(runner: Runner, store: Store, source: SourceFile, format: SourceFormat<unknown>, kind: IngestKind, fileId: string, rejected: number): Promise<never> {
  const first = await runner.query(q.selectRejects(store.db, { id: fileId }, 3));
  const reasons = first.map((r) => `line ${r.line ?? '?'}${r.field ? ` (${r.field})` : ''}: ${r.reason}`).join('; ');
  const names = formatsOf(kind).map((f) => f.name).join(', ');
  throw new UserError(
    `${source.path}: no row could be read as ${format.name} (${rejected} rejected; ${reasons}); the file was refused whole and nothing was stored`,
    `check the file, or pass the right --format (${kind} formats: ${names}); the refused file is not recorded, so the corrected ingest loads it`,
  );
}

async function checkNotKnown(runner: Runner, store: Store, kind: string, sha256: string, replace: boolean | undefined) {
  if (replace) return; // a replace loads the bytes again; an earlier load of them is replaced
  const [known] = await runner.query(q.findFilesByHash(store.db, kind, sha256));
  if (known) throw new AlreadyIngested(known.id);
}

/** Rows of a JavaScript parser, serialized to CSV into the same staging table (validated in SQL). */
async function stageParsedRows(runner: Runner, stage: string, format: SourceFormat<CanonicalLedgerRow>, stream: Readable, source: SourceFile, options: ParseOptions) {
  const columns = [...q.STAGE_META, ...LEDGER_COLUMNS];
  const rows = parseOrFail(format, stream, source, options);
  async function* csv(): AsyncGenerator<string> {
    let buffer = '';
    for await (const parsed of rows) {
      const item = withTextChecked(parsed);
      if ('reject' in item) {
        const r = item.reject;
        buffer += csvLine([String(item.line), r.field ?? null, printable(r.value) ?? null, r.reason, printable(r.raw) ?? null, ...LEDGER_COLUMNS.map(() => null)]);
      } else {
        const row = item.row as unknown as Record<string, string | null | undefined>;
        buffer += csvLine([String(item.line), null, null, null, null, ...LEDGER_COLUMNS.map((c) => row[c])]);
      }
      if (buffer.length >= 256 * 1024) {
        yield buffer;
        buffer = '';
      }
    }
    if (buffer) yield buffer;
  }
  await runner.copy((h) => q.copyIntoStage(stage, columns, h), Readable.from(csv()), false);
}

/** A row with a field PostgreSQL cannot hold as text (a NUL, bytes that are not UTF-8) becomes a reject of that field. */
function withTextChecked<T>(item: ParsedRow<T>): ParsedRow<T> {
  if ('reject' in item) return item;
  for (const [field, value] of Object.entries(item.row as Record<string, unknown>)) {
    if (typeof value !== 'string') continue;
    const problem = textProblem(value);
    if (problem) return { line: item.line, reject: { field, value: printable(value), reason: `${field} ${problem}` } };
  }
  return item;
}

type ParseOptions = IngestOptions & { promptReadings?: PromptReadings; onSkipped?: (service: string, amount: string | null) => void };

async function* parseOrFail<T>(format: SourceFormat<T>, stream: Readable, source: SourceFile, options: ParseOptions): AsyncGenerator<ParsedRow<T>> {
  try {
    yield* format.parse(stream, { fileName: source.path, skuMappingFile: options.mappingFile, onSkipped: options.onSkipped, litellmCacheWrites: options.litellmCacheWrites, promptReadings: options.promptReadings });
  } catch (error) {
    if (error instanceof UserError) throw error;
    if (error instanceof DamagedJson) {
      throw new UserError(`cannot read ${source.path}: ${error.message}; nothing was stored`, 'copy the complete file again (or fix it) and rerun', 1);
    }
    throw new UserError(`cannot read ${source.path} as ${format.name}: ${(error as Error).message}`, 'check the file, or pass the right --format');
  }
}

/** Invoice and usage files: small, parsed and checked in JavaScript, inserted in batches. */
async function loadRows(store: Store, runner: Runner, fileId: string, format: SourceFormat<unknown>, stream: Readable, source: SourceFile, options: IngestOptions & { onSkipped?: (service: string, amount: string | null) => void }) {
  let read = 0;
  let stored = 0;
  let rejected = 0;
  let rows: { line: number; row: unknown }[] = [];
  let rejects: ({ line: number } & Reject)[] = [];
  const flush = async () => {
    if (rows.length > 0) {
      if (options.kind === 'invoice') await runner.query(q.insertInvoiceLines(store.db, fileId, rows as { line: number; row: CanonicalInvoiceLine }[]));
      else await runner.query(q.insertUsageRows(store.db, fileId, rows as { line: number; row: CanonicalUsageRow }[]));
      stored += rows.length;
      rows = [];
    }
    if (rejects.length > 0) {
      await runner.query(q.insertRejects(store.db, fileId, source.path, rejects));
      rejected += rejects.length;
      rejects = [];
    }
  };
  for await (const parsed of parseOrFail(format, stream, source, options)) {
    const item = withTextChecked(parsed);
    read += 1;
    if ('reject' in item) rejects.push({ line: item.line, ...item.reject, value: printable(item.reject.value), raw: printable(item.reject.raw) });
    else rows.push(item);
    if (rows.length >= BATCH || rejects.length >= BATCH) await flush();
  }
  await flush();
  return { read, stored, rejected };
}

function duplicateResult(kind: IngestKind, format: string, file: string, bytes: number, id: string, started: bigint): IngestResult {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    file, kind, format, status: 'duplicate', already_ingested: true, ingested_file_id: id, bytes, provider: null, first_day: null, last_day: null,
    rows_read: 0, rows_stored: 0, rows_duplicate: 0, rows_rejected: 0, rows_untagged: 0, rows_skipped: { count: 0, amount: '0', services: [] }, replaced_file_ids: [], reopened_periods: [], seconds: round(seconds), rows_per_second: 0,
    prompt_readings: [],
  };
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
