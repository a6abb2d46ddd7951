import { sql } from 'kysely';
/** The status of a file whose rows count; every other status (replaced) is retired. */
export const COUNTING_STATUS = 'loaded';
/** SQL: the ingested_file row `alias` counts for a new run. */
export function fileCounts(alias) {
    return sql `${sql.ref(`${alias}.status`)} = ${sql.lit(COUNTING_STATUS)}`;
}
/**
 * Ids of the files of `kind` that count now, in id order.
 *
 * The month's scans filter records with `ingested_file_id = any(these ids)` rather than a join
 * or semi-join on ingested_file: given the ids as a parameter, PostgreSQL estimates from the
 * column's statistics how many records pass (all of them, usually), whereas through a join it
 * guesses a few thousand and plans sorts, merge joins and nested loops over the whole month.
 */
export async function countingFileIds(db, kind) {
    const { rows } = await sql `
    select f.id::text as id from ingested_file f where f.kind = ${kind} and ${fileCounts('f')} order by f.id`.execute(db);
    return rows.map((row) => row.id);
}
/**
 * The file ids a run recorded among its inputs (run.inputs.files) that counted when it ran, or
 * null when it recorded none. Runs recorded before replaced files were retired also listed the
 * replaced ones, with their status of the time: those never counted for the run.
 */
export function recordedFileIds(inputs, kind) {
    const files = inputs?.files;
    if (!Array.isArray(files))
        return null;
    return files
        .filter((f) => typeof f === 'object' && f !== null && 'id' in f)
        .filter((f) => kind === undefined || f.kind === kind)
        .filter((f) => f.status === undefined || f.status === COUNTING_STATUS)
        .map((f) => String(f.id))
        .filter((id) => /^\d+$/.test(id));
}
/** The files of `kind` a stored run read: the ones it recorded, else (no inputs recorded) the ones that count now. */
export async function runFileIds(db, runId, kind) {
    const { rows } = await sql `select inputs from run where id = ${runId}::bigint`.execute(db);
    return recordedFileIds(rows[0]?.inputs, kind) ?? (await countingFileIds(db, kind));
}
