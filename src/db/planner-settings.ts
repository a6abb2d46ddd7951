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
