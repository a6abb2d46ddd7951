import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Period } from '../period.ts';
import { periodBounds, periodDays } from '../period.ts';
import { fileCounts } from '../ingest/files-that-count.ts';
import { invoiceLinesOfRun } from '../fx/queries.ts';
import { selectCommitmentsHash } from '../commitments/queries.ts';

type Db = Kysely<Database>;

// Advisory lock key spaces (first int of the two-int form). Any stable numbers; shared by every
// recon process. A run holds (RUN_LOCK, run id) for its whole life, so a 'running' row whose lock
// is free belongs to a process that died; (PERIOD_LOCK, period) keeps one run per period at a time.
export const RUN_LOCK = 7_342_101;
export const PERIOD_LOCK = 7_342_102;
export const JOB_LOCK = 7_342_103;

/** 2026-05 -> 202605: a stable int4 key per period. */
export function periodLockKey(period: Period): number {
  return Number(period.replace('-', ''));
}

export interface RunRow {
  id: string;
  period: string;
  trigger: string;
  status: 'running' | 'succeeded' | 'failed';
  started_at: Date;
  finished_at: Date | null;
  error: string | null;
  inputs_hash: string | null;
  results_hash: string | null;
  reopen_reason: string | null;
  pid: number | null;
  host: string | null;
  summary: unknown;
  inputs: unknown;
}

export async function tryLockPeriod(db: Db, period: Period): Promise<boolean> {
  const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${PERIOD_LOCK}::int, ${periodLockKey(period)}::int) as ok`.execute(db);
  return rows[0]?.ok === true;
}

export async function unlockPeriod(db: Db, period: Period): Promise<void> {
  await sql`select pg_advisory_unlock(${PERIOD_LOCK}::int, ${periodLockKey(period)}::int)`.execute(db);
}

/**
 * Marks failed every 'running' run whose advisory lock no session of this database holds:
 * its process died (kill -9, crash, lost connection) before it could finish.
 */
export async function markDeadRuns(db: Db): Promise<{ id: string; period: string; pid: number | null; host: string | null }[]> {
  const { rows } = await sql<{ id: string; period: string; pid: number | null; host: string | null }>`
    update run set status = 'failed', finished_at = now(),
      error = 'the process running it (pid ' || coalesce(pid::text, '?') || ' on ' || coalesce(host, '?') ||
              ') stopped before it finished; marked failed when the next run started'
    where status = 'running'
      and not exists (
        select 1 from pg_locks l
        where l.locktype = 'advisory' and l.granted
          and l.database = (select oid from pg_database where datname = current_database())
          and l.classid = ${RUN_LOCK}::int::oid and l.objsubid = 2 and l.objid::text = run.id::text)
    returning id, period, pid, host`.execute(db);
  return rows;
}

/**
 * Inserts the run row and takes its advisory lock in the same statement, so the row is never
 * visible to another session without its lock held.
 */
export async function insertRunWithLock(
  db: Db,
  row: { period: Period; trigger: string; pid: number; host: string; reopenReason: string | null },
): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    with r as (
      insert into run (period, trigger, status, pid, host, reopen_reason)
      values (${row.period}, ${row.trigger}, 'running', ${row.pid}, ${row.host}, ${row.reopenReason})
      returning id)
    select id, pg_advisory_lock(${RUN_LOCK}::int, id::int) from r`.execute(db);
  const id = rows[0]?.id;
  if (!id) throw new Error('inserting the run row returned nothing');
  return id;
}

export async function unlockRun(db: Db, runId: string): Promise<void> {
  await sql`select pg_advisory_unlock(${RUN_LOCK}::int, ${runId}::int)`.execute(db);
}

export async function updateRunInputs(db: Db, runId: string, inputs: unknown, inputsHash: string, policy: unknown): Promise<void> {
  await db
    .updateTable('run')
    .set({ inputs: JSON.stringify(inputs), inputs_hash: inputsHash, policy: JSON.stringify(policy) })
    .where('id', '=', runId)
    .execute();
}

export async function markRunSucceeded(db: Db, runId: string, summary: unknown, resultsHash: string): Promise<void> {
  await db
    .updateTable('run')
    .set({ status: 'succeeded', finished_at: sql<Date>`now()`, summary: JSON.stringify(summary), results_hash: resultsHash })
    .where('id', '=', runId)
    .execute();
}

export async function markRunFailed(db: Db, runId: string, error: string): Promise<void> {
  await db
    .updateTable('run')
    .set({ status: 'failed', finished_at: sql<Date>`now()`, error })
    .where('id', '=', runId)
    .where('status', '=', 'running')
    .execute();
}

const runColumns = ['id', 'period', 'trigger', 'status', 'started_at', 'finished_at', 'error', 'inputs_hash', 'results_hash', 'reopen_reason', 'pid', 'host', 'summary', 'inputs'] as const;

export async function selectRun(db: Db, runId: string): Promise<RunRow | undefined> {
  return (await db.selectFrom('run').select(runColumns).where('id', '=', runId).executeTakeFirst()) as RunRow | undefined;
}

/** The period's current run: its latest succeeded one. */
export async function selectCurrentRun(db: Db, period: Period): Promise<RunRow | undefined> {
  return (await db
    .selectFrom('run')
    .select(runColumns)
    .where('period', '=', period)
    .where('status', '=', 'succeeded')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()) as RunRow | undefined;
}

/** The latest succeeded run of the period before `runId`. */
export async function selectPreviousSucceededRun(db: Db, period: Period, runId: string): Promise<RunRow | undefined> {
  return (await db
    .selectFrom('run')
    .select(runColumns)
    .where('period', '=', period)
    .where('status', '=', 'succeeded')
    .where(sql<boolean>`id < ${runId}::bigint`)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()) as RunRow | undefined;
}

export async function selectRuns(db: Db, period: Period | undefined): Promise<RunRow[]> {
  let query = db.selectFrom('run').select(runColumns).orderBy('id', 'asc');
  if (period) query = query.where('period', '=', period);
  return (await query.execute()) as RunRow[];
}

export async function selectRunningRuns(db: Db, period: Period): Promise<RunRow[]> {
  return (await db.selectFrom('run').select(runColumns).where('period', '=', period).where('status', '=', 'running').execute()) as RunRow[];
}

export interface PeriodRow {
  period: string;
  status: 'open' | 'closed';
  closed_at: Date | null;
  closed_by_run: string | null;
  closed_by: string | null;
  reopened_at: Date | null;
  reopen_reason: string | null;
}

export async function selectPeriod(db: Db, period: Period): Promise<PeriodRow | undefined> {
  return (await db.selectFrom('period').selectAll().where('period', '=', period).executeTakeFirst()) as PeriodRow | undefined;
}

export async function ensurePeriod(db: Db, period: Period): Promise<void> {
  await db.insertInto('period').values({ period }).onConflict((oc) => oc.column('period').doNothing()).execute();
}

/** A reopened rerun replaces the closed month's numbers; the month stays closed, now by this run. */
export async function recordReopen(db: Db, period: Period, runId: string, reason: string): Promise<void> {
  await db
    .updateTable('period')
    .set({ reopened_at: sql<Date>`now()`, reopen_reason: reason, closed_by_run: runId })
    .where('period', '=', period)
    .execute();
}

/** The closed periods whose month overlaps any of the day ranges [first, last] (text YYYY-MM-DD). */
export function selectClosedPeriodsOverlapping(ranges: { first: string; last: string }[]): RawBuilder<{ period: string; closed_by_run: string | null }> {
  return sql<{ period: string; closed_by_run: string | null }>`
    select p.period, p.closed_by_run::text as closed_by_run from period p
    where p.status = 'closed' and exists (
      select 1 from unnest(${ranges.map((r) => r.first)}::date[], ${ranges.map((r) => r.last)}::date[]) as r (first_day, last_day)
      where to_date(p.period || '-01', 'YYYY-MM-DD') <= r.last_day
        and (to_date(p.period || '-01', 'YYYY-MM-DD') + interval '1 month')::date > r.first_day)
    order by p.period`;
}

export async function closePeriodRow(db: Db, period: Period, runId: string, by: string | null = null): Promise<void> {
  await ensurePeriod(db, period);
  await db
    .updateTable('period')
    .set({ status: 'closed', closed_at: sql<Date>`now()`, closed_by_run: runId, closed_by: by })
    .where('period', '=', period)
    .execute();
}

export interface PeriodListRow {
  period: string;
  status: 'open' | 'closed';
  closed_at: Date | null;
  current_run_id: string | null;
  current_run_finished_at: Date | null;
  runs: string;
  last_status: string | null;
}

/** Every period with a run or a period row, newest first. */
export async function selectPeriods(db: Db): Promise<PeriodListRow[]> {
  const { rows } = await sql<PeriodListRow>`
    with periods as (select period from run union select period from period)
    select p.period,
           coalesce(pr.status, 'open') as status,
           pr.closed_at,
           cur.id as current_run_id,
           cur.finished_at as current_run_finished_at,
           (select count(*) from run r where r.period = p.period) as runs,
           (select r.status from run r where r.period = p.period order by r.id desc limit 1) as last_status
    from periods p
    left join period pr on pr.period = p.period
    left join lateral (
      select r.id, r.finished_at from run r
      where r.period = p.period and r.status = 'succeeded' order by r.id desc limit 1) cur on true
    order by p.period desc`.execute(db);
  return rows;
}

// Inputs ---------------------------------------------------------------------

export interface InputFile {
  id: string;
  kind: string;
  format: string;
  path: string;
  sha256: string;
  status: string;
  first_day: string | null;
  last_day: string | null;
  rows_stored: string;
  rows_rejected: string;
}

export interface InputCardVersion {
  id: string;
  card_version: string;
  source: string;
  lines: string;
  lines_hash: string;
}

export interface RawRunInputs {
  files: InputFile[];
  card_versions: InputCardVersion[];
  aliases_hash: string;
  owners_hash: string;
  disputes_hash: string;
  /** the commitments in effect in the period (src/commitments); absent when there are none */
  commitments_hash?: string;
}

// One sha256 over the sorted md5 of each row's JSON: cheap in memory even for large tables.
const rowsHash = (rowJson: string) => sql.raw(`encode(sha256(convert_to(coalesce(string_agg(md5(${rowJson}), ',' order by md5(${rowJson})), ''), 'UTF8')), 'hex')`);

/**
 * Everything a run's results are a function of: the period's ledger / invoice / usage files (a
 * file belongs to the period when its day range overlaps it, or, without a range, when it has
 * rows in it), the rate card versions with a line in effect during the period, the alias table,
 * the owners tables and the period's disputes.
 */
export async function selectRunInputs(db: Db, period: Period): Promise<RawRunInputs> {
  const { start, end } = periodBounds(period);
  const { first, last } = periodDays(period);
  const files = await sql<InputFile>`
    select f.id, f.kind, f.format, f.path, f.sha256, f.status, f.first_day, f.last_day, f.rows_stored, f.rows_rejected
    from ingested_file f
    where f.kind in ('ledger', 'invoice', 'usage')
      and (
        (f.first_day is not null and f.first_day <= ${last}::date and coalesce(f.last_day, f.first_day) >= ${first}::date)
        -- uncorrelated (a hashed subplan, evaluated only when a row gets this far): Citus cannot
        -- run a subquery correlated with a reference table on its distributed ledger
        or (f.first_day is null and f.kind = 'ledger' and f.id in (
              select l.ingested_file_id from ledger_record l where l.ts >= ${start.toISOString()}::timestamptz and l.ts < ${end.toISOString()}::timestamptz))
        or (f.first_day is null and f.kind = 'invoice' and exists (
              select 1 from invoice_line i where i.ingested_file_id = f.id and i.charge_date between ${first}::date and ${last}::date))
        or (f.first_day is null and f.kind = 'usage' and exists (
              select 1 from provider_usage u where u.ingested_file_id = f.id and u.usage_date between ${first}::date and ${last}::date)))
    order by f.id`.execute(db);
  const cards = await sql<InputCardVersion>`
    select v.id, v.card_version, v.source, count(l.id)::text as lines,
           ${rowsHash(`(to_jsonb(l) - 'id')::text`)} as lines_hash
    from rate_card_version v
    join rate_card_line l on l.card_version_id = v.id
    where v.id in (
      select card_version_id from rate_card_line
      where effective_from < ${end.toISOString()}::timestamptz
        and (effective_to is null or effective_to > ${start.toISOString()}::timestamptz))
    group by v.id, v.card_version, v.source
    order by v.id`.execute(db);
  const { rows } = await sql<{ aliases_hash: string; owners_hash: string; disputes_hash: string }>`
    select
      (select ${rowsHash(`(to_jsonb(a) - 'id')::text`)} from model_alias a) as aliases_hash,
      (select ${rowsHash(`x::text`)} from (
         select to_jsonb(t) as x from team_owner t
         union all select to_jsonb(k) from gateway_key_owner k) o) as owners_hash,
      (select ${rowsHash(`(to_jsonb(d) - 'opened_at')::text`)} from dispute d where d.period = ${period}) as disputes_hash`.execute(db);
  const hashes = rows[0]!;
  const commitmentsHash = await selectCommitmentsHash(db, period);
  return { files: files.rows, card_versions: cards.rows, ...hashes, ...(commitmentsHash ? { commitments_hash: commitmentsHash } : {}) };
}

// Results --------------------------------------------------------------------

/** The result tables of a run, hashed without their run id so two runs can be compared. */
/**
 * The tables whose rows are a run's results: their hashes are its results_hash, and a rerun whose
 * results hash the same is `no_change`. Every other run_* table says in NOT_RESULT_TABLES why it is
 * left out (test/run/result-tables.test.ts checks the two lists cover every run_* table).
 */
export const RESULT_TABLES = ['run_cost_cube', 'run_variance_cell', 'run_variance_cause', 'run_variance_cell_cause', 'run_allocation', 'run_team_summary', 'run_commitment_hour'] as const;

export const NOT_RESULT_TABLES: Readonly<Record<string, string>> = {
  run_price_card: 'the card lines in effect, cut into slots: a function of the cards, which the inputs hash covers; the cube holds what they priced',
  run_gateway_estimate: 'the gateway\'s own cost estimate beside recon\'s, evidence about the gateway rather than a result of the reconciliation',
  run_team_showback: 'month-to-date spend and forecast, which depend on the day the run ran (complete days), so a rerun of unchanged inputs would never be no_change',
};

export async function selectResultHashes(db: Db, runId: string): Promise<Record<string, string>> {
  const parts = RESULT_TABLES.map(
    (table) => sql`select ${table} as name, ${rowsHash(`(to_jsonb(t) - 'run_id')::text`)} as hash from ${sql.table(table)} t where t.run_id = ${runId}::bigint`,
  );
  const { rows } = await sql<{ name: string; hash: string }>`${sql.join(parts, sql` union all `)}`.execute(db);
  return Object.fromEntries(rows.map((r) => [r.name, r.hash]));
}

// Summary figures ------------------------------------------------------------

export interface SummaryFigures {
  invoice_total: string;
  ledger_total: string;
  records: string;
  unpriced: string;
  untagged: string;
  rejected: string;
  cells_review: string;
  cells_breach: string;
  allocations: { team: string; amount: string }[];
  teams: { team: string; allocated: string; own_priced_usage: string | null; charge_bridge: { why: string; amount: string }[]; uncaused: string | null; bridge_flagged: boolean }[];
  invoice_lines: string;
  card_lines_in_effect: string;
  owners: string;
}

/** Stored results of a run, rolled up for its summary, in one round trip per table. */
export async function selectSummaryFigures(db: Db, runId: string, period: Period, fileIds: string[]): Promise<SummaryFigures> {
  const { first, last } = periodDays(period);
  const ids = fileIds.length > 0 ? fileIds : ['0'];
  const { rows } = await sql<Omit<SummaryFigures, 'allocations' | 'teams'>>`
    with inv as (
      select coalesce(sum(i.reporting_amount), 0)::text as total, count(*)::text as lines
      from ${invoiceLinesOfRun(runId)} i join ingested_file f on f.id = i.ingested_file_id
      where ${fileCounts('f')} and i.charge_date between ${first}::date and ${last}::date
    )
    select
      (select total from inv) as invoice_total,
      (select coalesce(sum(c.cost), 0)::text from run_cost_cube c where c.run_id = ${runId}::bigint) as ledger_total,
      (select coalesce(sum(c.records), 0)::text from run_cost_cube c where c.run_id = ${runId}::bigint and c.token_category = 'request') as records,
      (select coalesce(sum(c.records), 0)::text from run_cost_cube c where c.run_id = ${runId}::bigint and c.token_category = 'request' and c.unpriced_reason is not null) as unpriced,
      (select coalesce(sum(c.records), 0)::text from run_cost_cube c where c.run_id = ${runId}::bigint and c.token_category = 'request' and c.team is null) as untagged,
      (select count(*)::text from rejected_row r where r.ingested_file_id in (${sql.join(ids.map((id) => sql`${id}::bigint`))})) as rejected,
      (select count(*)::text from run_variance_cell v where v.run_id = ${runId}::bigint and v.status = 'review') as cells_review,
      (select count(*)::text from run_variance_cell v where v.run_id = ${runId}::bigint and v.status = 'breach') as cells_breach,
      (select lines from inv) as invoice_lines,
      (select count(*)::text from rate_card_line l where l.retired_by_version_id is null
        and l.effective_from < (${last}::date + 1)::timestamp at time zone 'UTC'
        and (l.effective_to is null or l.effective_to > ${first}::date::timestamp at time zone 'UTC')) as card_lines_in_effect,
      ((select count(*) from team_owner) + (select count(*) from gateway_key_owner))::text as owners`.execute(db);
  const allocations = await sql<{ team: string; amount: string }>`
    select team, sum(amount)::text as amount from run_allocation where run_id = ${runId}::bigint group by team order by team`.execute(db);
  const teams = await sql<SummaryFigures['teams'][number]>`
    select team, allocated::text, own_priced_usage::text, charge_bridge, uncaused::text, bridge_flagged
    from run_team_summary where run_id = ${runId}::bigint order by team`.execute(db);
  return { ...rows[0]!, allocations: allocations.rows, teams: teams.rows };
}

/** A run by id, or the period's current run (its latest succeeded one), with the policy recorded with it. */
export async function selectRunWithPolicy(db: Db, which: { runId: string } | { period: string }): Promise<{ id: string; period: string; status: string; finished_at: Date | null; policy: unknown } | undefined> {
  const { rows } = await sql<{ id: string; period: string; status: string; finished_at: Date | null; policy: unknown }>`
    select id::text as id, period, status, finished_at, policy from run
    where ${'runId' in which ? sql`id = ${which.runId}::bigint` : sql`period = ${which.period} and status = 'succeeded'`}
    order by id desc limit 1`.execute(db);
  return rows[0];
}
