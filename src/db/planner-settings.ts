import { sql, type Kysely, type RawBuilder } from 'kysely';
import { dayRanges } from '../period.ts';
import type { Database } from './schema.ts';

/** Runs one statement on the caller's connection (Kysely, or the ingest runner's client). */
export type Execute = <R>(query: RawBuilder<R>) => Promise<R[]>;

export const executeOn = (db: Kysely<Database>): Execute => async (query) => (await query.execute(db)).rows;

/**
 * Runs `work` with planner settings changed for the current transaction (SET LOCAL semantics),
 * then restores the previous values so later statements of the same transaction plan as usual.
 */
export async function withPlannerSettings<T>(db: Kysely<Database> | Execute, settings: Readonly<Record<string, string>>, work: () => Promise<T>): Promise<T> {
  const execute = typeof db === 'function' ? db : executeOn(db);
  const names = Object.keys(settings);
  const rows = await execute(sql<{ name: string; setting: string }>`
    select name, current_setting(name) as setting from unnest(${names}::text[]) as name`);
  const apply = (values: Record<string, string>) =>
    execute(sql`select set_config(name, value, true) from jsonb_each_text(${JSON.stringify(values)}::jsonb) as s (name, value)`);
  await apply(settings);
  try {
    return await work();
  } finally {
    await apply(Object.fromEntries(rows.map((row) => [row.name, row.setting])));
  }
}

/**
 * Planner settings for grouping a month of records (the ledger roll-up, pricing), restored
 * afterwards so later statements of the transaction plan as usual. Measured on PostgreSQL 15 (README.md, Pricing, "Performance"):
 * - the planner cannot estimate the number of groups of an 18-column GROUP BY (it assumes one per
 *   record), so it sorts the month for a GroupAggregate (or, when the key starts with an indexed
 *   column, walks that index and sorts the rest incrementally); hashing is 3x faster, so sorts,
 *   incremental sorts and merge joins are switched off;
 * - it never runs such a GROUP BY as a parallel partial aggregate (one group per record would
 *   make partial aggregation pointless), so the month is cut into day ranges grouped side by side
 *   under a Parallel Append (see unionOverRanges);
 * - JIT is on whatever the server's default: compiling the grouping's expressions takes about
 *   0.2 s and saves about a quarter of the grouping (10M records: 7.0 s instead of 9.5 s);
 * - with the default 4MB of work_mem the hash table of the groups spills to disk.
 */
export const MONTH_GROUPING_SETTINGS: Readonly<Record<string, string>> = {
  work_mem: '256MB',
  enable_sort: 'off',
  enable_incremental_sort: 'off',
  enable_mergejoin: 'off',
  jit: 'on',
};

/**
 * For joins of aggregates the planner cannot size (the allocation basis and what reads it): one
 * hash pass over each input instead of a nested loop per row, and no JIT. The basis is a statement
 * of some thirty CTEs over tens of thousands of cube rows; its cost estimate passes the JIT
 * thresholds, and compiling its expressions took 5.7 s of a 6.7 s statement at 1M records
 * (bench 2026-12-04: EXPLAIN ANALYZE, "JIT: Optimization 3267 ms, Emission 2358 ms"); executing
 * it takes well under a second.
 */
export const HASH_JOIN_SETTINGS: Readonly<Record<string, string>> = { enable_nestloop: 'off', jit: 'off' };

/**
 * For ranking a month's records per cause (explain's sample request ids): hash joins, not merge
 * joins or sorts, so the month is never sorted to meet the alias table or to be grouped; a Gather
 * costing as much as it does under each day range (parallel_setup_cost) leaves one Gather over a
 * Parallel Append of the ranges as the cheaper plan.
 */
export const SAMPLE_RANKING_SETTINGS: Readonly<Record<string, string>> = { enable_mergejoin: 'off', enable_sort: 'off', parallel_setup_cost: '1000000', jit: 'off' };

/**
 * For statements that read record groups rather than records (pricing, the evidence audit): the
 * same plans, without JIT, which would spend more time compiling than it saves on tens of
 * thousands of groups (10M-record month: priced in 3.0 s with it, 1.8 s without).
 */
export const GROUP_READING_SETTINGS: Readonly<Record<string, string>> = { ...MONTH_GROUPING_SETTINGS, jit: 'off' };

/** How many parallel workers the server starts per query (at least 1: PGlite starts none). */
export const selectParallelWorkers = (): RawBuilder<{ workers: number }> => sql<{ workers: number }>`
  select greatest(1, least(current_setting('max_parallel_workers_per_gather')::int, current_setting('max_parallel_workers')::int))::int as workers`;

/**
 * `query` over each day range of [start, end), as one UNION ALL of `workers` ranges. PostgreSQL
 * leaves a wide GROUP BY or a ranking over the month to the leader process alone; ranges side by
 * side under a Parallel Append give each worker its own share. `query` must take its bounds as
 * parameters, not subqueries: a subquery is evaluated by the leader and keeps the range there.
 */
export function unionOverRanges(start: string, end: string, workers: number, query: (from: string, to: string) => RawBuilder<unknown>): RawBuilder<unknown> {
  const ranges = dayRanges(start, end, workers);
  return sql.join(ranges.map(([from, to]) => sql`(${query(from, to)})`), sql` union all `);
}

/** unionOverRanges with as many ranges as the server starts parallel workers per query. */
export async function unionOverDayRanges(
  db: Kysely<Database>,
  start: string,
  end: string,
  query: (from: string, to: string) => RawBuilder<unknown>,
): Promise<RawBuilder<unknown>> {
  const { rows } = await selectParallelWorkers().execute(db);
  return unionOverRanges(start, end, Number(rows[0]!.workers), query);
}
