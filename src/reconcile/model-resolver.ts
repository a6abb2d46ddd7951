import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.ts';

/** Builds the SQL expression giving the canonical model of `name` under `provider` on `day`. */
export type ModelResolver = (provider: RawBuilder<unknown>, name: RawBuilder<unknown>, day: RawBuilder<unknown>) => RawBuilder<string>;

/**
 * The pricing migration adds `resolve_model(provider, name, at)`; until it has landed (or on a
 * store that predates it) names are taken as already canonical. Looked up once per run, with
 * the type of its third argument, so the call never depends on implicit casts.
 */
export async function loadModelResolver(db: Kysely<Database>): Promise<ModelResolver> {
  const { rows } = await sql<{ args: string }>`
    select pg_get_function_identity_arguments(p.oid) as args
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where p.proname = 'resolve_model' and n.nspname = current_schema() and p.pronargs = 3
    order by p.oid limit 1`.execute(db);
  const args = rows[0]?.args;
  if (!args) return (_provider, name) => sql<string>`${name}`;
  const third = args.split(',')[2]?.trim() ?? '';
  const at = (day: RawBuilder<unknown>) =>
    /\bdate$/.test(third) ? sql`(${day})::date` : /without time zone$/.test(third) ? sql`(${day})::timestamp` : sql`((${day})::timestamp at time zone 'UTC')`;
  return (provider, name, day) => sql<string>`coalesce(resolve_model(${provider}, ${name}, ${at(day)}), ${name})`;
}
