import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.ts';

// Which ingested files count, in one place. A new run reads the files that count now; a run that
// exists reads the files it recorded among its inputs, whatever happened to them since (a
// replaced file is retired, never deleted), so its record never changes.

type Db = Kysely<Database>;
type InputKind = 'ledger' | 'invoice' | 'usage';

/** The status of a file whose rows count; every other status (replaced) is retired. */
export const COUNTING_STATUS = 'loaded';

/** SQL: the ingested_file row `alias` counts for a new run. */
export function fileCounts(alias: string): RawBuilder<boolean> {
  return sql<boolean>`${sql.ref(`${alias}.status`)} = ${sql.lit(COUNTING_STATUS)}`;
}

/**
 * Ids of the files of `kind` that count now, in id order.
 *
 * The month's scans filter records with `ingested_file_id = any(these ids)` rather than a join
 * or semi-join on ingested_file: given the ids as a parameter, PostgreSQL estimates from the
 * column's statistics how many records pass (all of them, usually), whereas through a join it
 * guesses a few thousand and plans sorts, merge joins and nested loops over the whole month.
 */
export async function countingFileIds(db: Db, kind: InputKind): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select f.id::text as id from ingested_file f where f.kind = ${kind} and ${fileCounts('f')} order by f.id`.execute(db);
  return rows.map((row) => row.id);
}

/**
 * The file ids a run recorded among its inputs (run.inputs.files) that counted when it ran, or
 * null when it recorded none. Runs recorded before replaced files were retired also listed the
 * replaced ones, with their status of the time: those never counted for the run.
 */
export function recordedFileIds(inputs: unknown, kind?: string): string[] | null {
  const files = (inputs as { files?: unknown } | null)?.files;
  if (!Array.isArray(files)) return null;
  return files
    .filter((f): f is { id: unknown; kind?: unknown; status?: unknown } => typeof f === 'object' && f !== null && 'id' in f)
    .filter((f) => kind === undefined || f.kind === kind)
    .filter((f) => f.status === undefined || f.status === COUNTING_STATUS)
    .map((f) => String(f.id))
    .filter((id) => /^\d+$/.test(id));
}

/** The files of `kind` a stored run read: the ones it recorded, else (no inputs recorded) the ones that count now. */
export async function runFileIds(db: Db, runId: string, kind: InputKind): Promise<string[]> {
  const { rows } = await sql<{ inputs: unknown }>`select inputs from run where id = ${runId}::bigint`.execute(db);
  return recordedFileIds(rows[0]?.inputs, kind) ?? (await countingFileIds(db, kind));
}
