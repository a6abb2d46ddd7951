import { sql, type Kysely, type RawBuilder } from 'kysely';
import { dayRanges } from '../period.ts';
import type { Database } from './schema.ts';

/**
 * Runs `work` with planner settings changed for the current transaction (SET LOCAL semantics),
 * then restores the previous values so later statements of the same transaction plan as usual.
 */
export async function withPlannerSettings<T>(db: Kysely<Database>, settings: Readonly<Record<string, string>>, work: () => Promise<T>): Promise<T> {
  const names = Object.keys(settings);
  const { rows } = await sql<{ name: string; setting: string }>`
    select name, current_setting(name) as setting from unnest(${names}::text[]) as name`.execute(db);
  const apply = (values: Record<string, string>) =>
    sql`select set_config(name, value, true) from jsonb_each_text(${JSON.stringify(values)}::jsonb) as s (name, value)`.execute(db);
  await apply(settings);
  try {
    return await work();
  } finally {
    await apply(Object.fromEntries(rows.map((row) => [row.name, row.setting])));
  }
}

/**
 * `query` over each day range of [start, end), as one UNION ALL of as many ranges as the server
 * starts parallel workers per query (max_parallel_workers_per_gather capped by
 * max_parallel_workers, at least 1: PGlite starts none). PostgreSQL leaves a wide GROUP BY or a
 * ranking over the month to the leader process alone; ranges side by side under a Parallel Append
 * give each worker its own share. `query` must take its bounds as parameters, not subqueries: a
 * subquery is evaluated by the leader and keeps the range there.
 */
export async function unionOverDayRanges(
  db: Kysely<Database>,
  start: string,
  end: string,
  query: (from: string, to: string) => RawBuilder<unknown>,
): Promise<RawBuilder<unknown>> {
  const { rows } = await sql<{ workers: number }>`
    select greatest(1, least(current_setting('max_parallel_workers_per_gather')::int, current_setting('max_parallel_workers')::int)) as workers`.execute(db);
  const ranges = dayRanges(start, end, Number(rows[0]!.workers));
  return sql.join(ranges.map(([from, to]) => sql`(${query(from, to)})`), sql` union all `);
}
