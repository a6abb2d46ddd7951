import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

/**
 * Ids of the ledger files whose records count (status `loaded`), in id order.
 *
 * The month's scans filter records with `ingested_file_id = any(these ids)` rather than a join
 * or semi-join on ingested_file: given the ids as a parameter, PostgreSQL estimates from the
 * column's statistics how many records pass (all of them, usually), whereas through a join it
 * guesses a few thousand and plans sorts, merge joins and nested loops over the whole month.
 */
export async function loadedLedgerFileIds(db: Kysely<Database>): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select id::text as id from ingested_file where kind = 'ledger' and status = 'loaded' order by id`.execute(db);
  return rows.map((row) => row.id);
}
