import { sql, type Kysely } from 'kysely';
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
 * How many parallel workers the server starts per query (max_parallel_workers_per_gather, capped
 * by max_parallel_workers), at least 1: PGlite starts none. Month scans cut into this many day
 * ranges let a Parallel Append give each worker its own share of a job PostgreSQL would otherwise
 * leave to the leader (a wide GROUP BY, a ranking).
 */
export async function parallelWorkersPerQuery(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ workers: number }>`
    select greatest(1, least(current_setting('max_parallel_workers_per_gather')::int, current_setting('max_parallel_workers')::int)) as workers`.execute(db);
  return Number(rows[0]!.workers);
}
