import { sql, type RawBuilder } from 'kysely';
import { MONTH_GROUPING_SETTINGS, selectParallelWorkers, unionOverRanges, withPlannerSettings, type Execute } from '../db/planner-settings.ts';
import { cardLongContextThresholds } from '../pricing/card-bounds.ts';

// The ledger roll-up (sql/migrations/0102_ledger_rollup.sql): a file's records grouped once, at
// ingest, by UTC day and every column pricing depends on, with the time and input-size range of
// each group. Pricing a month then reads tens of thousands of groups instead of millions of
// records; a group is usable as long as no price or alias boundary falls inside its ranges, and
// pricing re-reads the records of any day where one does (src/pricing/queries.ts).

/**
 * Long-context thresholds of the public price lists (LiteLLM's `*_above_128k_tokens` ...
 * `*_above_512k_tokens`): groups are cut at these and at every threshold of the imported cards,
 * so a long-context tier never straddles a group. A card imported later with another threshold
 * still prices exactly, by re-reading the days it cuts.
 */
/** SQL: ledger record `alias` is a retry, i.e. any attempt after the first (the one definition; the cube's is_retry comes from it). */
export function isRetrySql(alias: string): RawBuilder<boolean> {
  const c = (column: string) => sql.ref(`${alias}.${column}`);
  return sql<boolean>`(coalesce(${c('attempt')}, 1) > 1 or (${c('original_request_id')} is not null and ${c('original_request_id')} <> ${c('request_id')}))`;
}

const KNOWN_LONG_CONTEXT_THRESHOLDS: readonly string[] = ['128000', '200000', '256000', '272000', '512000'];

const UNCACHED = sql.raw(`(l.input_tokens - l.cache_read_input_tokens - l.cache_write_5m_input_tokens - l.cache_write_1h_input_tokens)`);

/**
 * What a record is grouped on beyond its raw columns, as SQL over `l` (a ledger_record row): the
 * token categories it has tokens in, and the evidence audit's checks that need more than one
 * column. The audit's sample pass computes the same expressions to find a record's group.
 */
export const RECORD_FLAGS = {
  has_input: sql`${UNCACHED} > 0`,
  negative_uncached: sql`${UNCACHED} < 0`,
  has_cached_input: sql`l.cache_read_input_tokens > 0`,
  has_cache_write_5m: sql`l.cache_write_5m_input_tokens > 0`,
  has_cache_write_1h: sql`l.cache_write_1h_input_tokens > 0`,
  has_output: sql`l.output_tokens > 0`,
  conversation_only: sql`(l.conversation_id is not null and l.team is null and l.service is null and l.workflow is null)`,
  bad_token_counts: sql`((l.input_tokens + l.output_tokens = 0 and l.status = 'ok') or l.cache_read_input_tokens + l.cache_write_5m_input_tokens + l.cache_write_1h_input_tokens > l.input_tokens or l.reasoning_output_tokens > l.output_tokens)`,
  unlinked_retry: sql`coalesce(l.attempt > 1 and l.original_request_id is null, false)`,
  no_correlation_id: sql`(btrim(l.request_id) = '' or (l.provider_response_id is null and l.trace_id is null))`,
} as const;

/** The columns of ledger_file_rollup, in the order selectLedgerRollup returns them. */
export const ROLLUP_COLUMNS = sql.raw(
  'ingested_file_id, day, provider, response_model, requested_model, service_tier, region, team, service, workflow, ' +
    'cost_center, environment, gateway_key_id, status, is_retry, price_card_version, has_estimate, ' +
    'has_input, negative_uncached, has_cached_input, has_cache_write_5m, has_cache_write_1h, has_output, ' +
    'conversation_only, bad_token_counts, unlinked_retry, no_correlation_id, time_cut, size_cut, ' +
    'first_ts, last_ts, min_input_tokens, max_input_tokens, max_attempt, records, ' +
    'q_uncached, q_cached_input, q_cache_write_5m, q_cache_write_1h, q_output, q_reasoning, gateway_cost',
);

/**
 * Where groups are cut besides the UTC day: at each instant of `times` (a record at the instant
 * falls after the cut) and above each input size of `sizes` (a record with more input tokens
 * than the size falls above it, as a long-context price applies). Both sorted ascending.
 */
interface RollupCuts {
  times: readonly string[];
  sizes: readonly string[];
}

/** The records of `fileIds` with ts in [from, to), grouped into rows of ledger_file_rollup. */
function selectLedgerRollup(fileIds: readonly string[], from: string, to: string, cuts: RollupCuts): RawBuilder<unknown> {
  return sql`
    select l.ingested_file_id,
           (l.ts at time zone 'UTC')::date as day,
           l.provider, l.response_model, l.requested_model,
           l.service_tier, l.region, l.team, l.service, l.workflow, l.cost_center, l.environment, l.gateway_key_id, l.status,
           ${isRetrySql('l')} as is_retry,
           l.price_card_version,
           l.gateway_cost_usd is not null as has_estimate,
           ${sql.join(Object.entries(RECORD_FLAGS).map(([name, flag]) => sql`${flag} as ${sql.id(name)}`))},
           width_bucket(l.ts, ${cuts.times}::timestamptz[]) as time_cut,
           width_bucket(l.input_tokens - 1, ${cuts.sizes}::bigint[]) as size_cut,
           min(l.ts) as first_ts,
           max(l.ts) as last_ts,
           min(l.input_tokens) as min_input_tokens,
           max(l.input_tokens) as max_input_tokens,
           max(l.attempt) as max_attempt,
           count(*) as records,
           sum(${UNCACHED}) as q_uncached,
           sum(l.cache_read_input_tokens) as q_cached_input,
           sum(l.cache_write_5m_input_tokens) as q_cache_write_5m,
           sum(l.cache_write_1h_input_tokens) as q_cache_write_1h,
           sum(l.output_tokens) as q_output,
           sum(l.reasoning_output_tokens) as q_reasoning,
           sum(l.gateway_cost_usd) as gateway_cost
    from ledger_record l
    where l.ts >= ${from}::timestamptz and l.ts < ${to}::timestamptz
      and l.ingested_file_id = any(${fileIds}::bigint[])
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29`;
}

/** The records of `fileIds` over [start, end), cut into one day range per parallel worker. */
async function selectLedgerRollupInParallel(execute: Execute, fileIds: readonly string[], start: string, end: string, cuts: RollupCuts): Promise<RawBuilder<unknown>> {
  const [row] = await execute(selectParallelWorkers());
  return unionOverRanges(start, end, Number(row!.workers), (from, to) => selectLedgerRollup(fileIds, from, to, cuts));
}

/**
 * Where a period's records must be cut: at each instant of `segments` (a record at the instant
 * falls after it) and above each input size of `bands` (width_bucket(input_tokens - 1, bands)).
 * Both sorted ascending.
 */
export interface PeriodCuts {
  segments: readonly string[];
  bands: readonly string[];
}

/**
 * The record groups of `fileIds` over the period [start, end), as rows of ledger_file_rollup in
 * which no cut falls inside a group: every record of a group is in the same segment and band.
 * The roll-up's groups serve where that holds; from the first to the last day where some group
 * straddles a cut, the records are grouped again, cut exactly. Rolls up missing files first.
 */
export async function selectPeriodGroups(execute: Execute, fileIds: readonly string[], start: string, end: string, cuts: PeriodCuts): Promise<RawBuilder<unknown>> {
  await rollUpMissingLedgerFiles(execute, fileIds);
  const segmentOf = (column: string) => sql`width_bucket(${sql.ref(column)}, ${cuts.segments}::timestamptz[])`;
  const bandOf = (column: string) => sql`width_bucket(${sql.ref(column)} - 1, ${cuts.bands}::bigint[])`;
  const dayOf = (instant: string) => sql`(${instant}::timestamptz at time zone 'UTC')::date`;
  const inPeriod = sql`ingested_file_id = any(${fileIds}::bigint[]) and day >= ${dayOf(start)} and day < ${dayOf(end)}`;
  const [straddled] = await execute(sql<{ first_day: string | null; last_day: string | null }>`
    select min(day)::text as first_day, max(day)::text as last_day
    from ledger_file_rollup
    where ${inPeriod}
      and (${segmentOf('first_ts')} <> ${segmentOf('last_ts')} or ${bandOf('min_input_tokens')} <> ${bandOf('max_input_tokens')})`);
  if (!straddled!.first_day || !straddled!.last_day) return sql`select ${ROLLUP_COLUMNS} from ledger_file_rollup where ${inPeriod}`;
  const from = dayStart(straddled!.first_day, 0);
  const to = dayStart(straddled!.last_day, 1);
  const regrouped = await selectLedgerRollupInParallel(execute, fileIds, from, to, { times: cuts.segments, sizes: cuts.bands });
  return sql`
    select ${ROLLUP_COLUMNS} from ledger_file_rollup where ${inPeriod} and (day < ${dayOf(from)} or day >= ${dayOf(to)})
    union all ${regrouped}`;
}

/** The ingest-time cuts: no time cut (the day is one) and every known long-context threshold. */
async function ingestCuts(execute: Execute): Promise<RollupCuts> {
  const [row] = await execute(sql<{ sizes: string[] }>`
    select array(select distinct t from (
      select unnest(${KNOWN_LONG_CONTEXT_THRESHOLDS}::bigint[]) as t
      union ${cardLongContextThresholds()}) x order by t)::text[] as sizes`);
  return { times: [], sizes: row!.sizes };
}

/**
 * Rolls up the records of `fileIds` with ts in [from, to) (the files' whole extent) and marks the
 * files rolled up (a file rolled up twice fails on the mark's primary key). Returns how many
 * records the groups hold. Runs in the caller's transaction: the roll-up lands with the records or
 * not at all. The groups are built by CREATE TABLE AS, which PostgreSQL runs in parallel (INSERT
 * ... SELECT it does not), then inserted.
 */
export async function rollUpLedgerFiles(execute: Execute, fileIds: readonly string[], from: string, to: string): Promise<bigint> {
  if (fileIds.length === 0) return 0n;
  const scratch = sql.raw(`ledger_rollup_scratch_${fileIds[0]!.replace(/\D/g, '')}`);
  const groups = await selectLedgerRollupInParallel(execute, fileIds, from, to, await ingestCuts(execute));
  await execute(sql`drop table if exists ${scratch}`);
  await withPlannerSettings(execute, MONTH_GROUPING_SETTINGS, () => execute(sql`create unlogged table ${scratch} as ${groups}`));
  await execute(sql`insert into ledger_file_rollup (${ROLLUP_COLUMNS}) select ${ROLLUP_COLUMNS} from ${scratch}`);
  const marked = await execute(sql<{ records: string }>`
    insert into ledger_rolled_up_file (ingested_file_id, records)
    select f.id, coalesce((select sum(s.records) from ${scratch} s where s.ingested_file_id = f.id), 0)
    from unnest(${fileIds}::bigint[]) as f (id)
    returning records::text as records`);
  await execute(sql`drop table ${scratch}`);
  // Without statistics the planner takes the roll-up for a one-row table and prices its groups
  // through nested loops (0.8 s instead of 0.2 s for a 10M-record month).
  await execute(sql`analyze ledger_file_rollup`);
  return marked.reduce((sum, row) => sum + BigInt(row.records), 0n);
}

// Any stable 64-bit number: two runs that find the same file missing roll it up once.
const ROLLUP_LOCK_KEY = 7_342_102;

/**
 * Rolls up the files among `fileIds` that are not rolled up yet (loaded before the roll-up
 * existed, or written without the loader), over their whole time extent. Returns their ids.
 * The lock is taken only when a file is missing (it lasts until the caller's transaction ends,
 * so taking it on every run would serialise all runs), and the files are looked up again under it.
 */
export async function rollUpMissingLedgerFiles(execute: Execute, fileIds: readonly string[]): Promise<string[]> {
  const missing = () =>
    execute(sql<{ id: string }>`
      select f.id::text as id from unnest(${fileIds}::bigint[]) as f (id)
      where not exists (select 1 from ledger_rolled_up_file r where r.ingested_file_id = f.id)
      order by f.id`);
  if ((await missing()).length === 0) return [];
  await execute(sql`select pg_advisory_xact_lock(${ROLLUP_LOCK_KEY})`);
  const ids = (await missing()).map((row) => row.id);
  if (ids.length === 0) return [];
  const [extent] = await execute(sql<{ first_day: string | null; last_day: string | null }>`
    select (min(ts) at time zone 'UTC')::date::text as first_day, (max(ts) at time zone 'UTC')::date::text as last_day
    from ledger_record where ingested_file_id = any(${ids}::bigint[])`);
  const from = dayStart(extent!.first_day ?? '2000-01-01', 0);
  await rollUpLedgerFiles(execute, ids, from, extent!.last_day ? dayStart(extent!.last_day, 1) : from);
  return ids;
}

/** Midnight UTC `days` after the day 'YYYY-MM-DD', as an ISO instant. */
export function dayStart(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString();
}

/** The (provider, response model) names the loaded files' records use in [firstDay, lastDay], from the roll-up. */
export function periodModelNames(fileIds: readonly string[], firstDay: string, lastDay: string): RawBuilder<unknown> {
  return sql`select distinct provider, response_model from ledger_file_rollup
    where ingested_file_id = any(${fileIds}::bigint[]) and day >= ${firstDay}::date and day <= ${lastDay}::date`;
}

/** The loaded (not replaced) ledger files, e.g. to roll up the missing ones before reading the roll-up. */
export function loadedLedgerFiles(): RawBuilder<{ id: string }> {
  return sql<{ id: string }>`select id::text as id from ingested_file where kind = 'ledger' and status = 'loaded' order by id`;
}

/**
 * The loaded ledger's use of each (provider, response model, tier) in [start, end), from the
 * roll-up: its records, first and last time, and how many records have tokens of each category.
 * Columns: provider, response_model, service_tier, records, first_ts, last_ts, and
 * input_records, cached_input_records, cache_write_5m_records, cache_write_1h_records, output_records.
 */
export function ledgerUseByModel(start: string, end: string): RawBuilder<unknown> {
  const withTokens = (flag: string, name: string) => sql`coalesce(sum(r.records) filter (where r.${sql.raw(flag)}), 0) as ${sql.raw(name)}`;
  return sql`
    select r.provider, r.response_model, r.service_tier, sum(r.records) as records, min(r.first_ts) as first_ts, max(r.last_ts) as last_ts,
           ${withTokens('has_input', 'input_records')}, ${withTokens('has_cached_input', 'cached_input_records')},
           ${withTokens('has_cache_write_5m', 'cache_write_5m_records')}, ${withTokens('has_cache_write_1h', 'cache_write_1h_records')},
           ${withTokens('has_output', 'output_records')}
    from ledger_file_rollup r
    join ingested_file f on f.id = r.ingested_file_id and f.kind = 'ledger' and f.status = 'loaded'
    where r.day >= (${start}::timestamptz at time zone 'UTC')::date - 1 and r.day <= (${end}::timestamptz at time zone 'UTC')::date
      and r.last_ts >= ${start}::timestamptz and r.first_ts < ${end}::timestamptz
    group by r.provider, r.response_model, r.service_tier`;
}
