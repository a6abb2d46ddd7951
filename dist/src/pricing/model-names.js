import { sql } from 'kysely';
// The one resolution of model names. A ledger record, a rate card line and an invoice line reach
// their canonical model the same way, effective-dated at the record's or line's time: the SQL
// function resolve_model (migrations 0301, 0302) — the alias in effect for the provider's spelling
// of the name (model_spelling: Vertex `claude-sonnet-4@20250514` → `claude-sonnet-4-20250514`),
// else that spelling. Set-based month scans join model_alias on model_spelling(...) the same way
// (src/pricing/queries.ts, src/audit/queries.ts); rules.canonicalModel is the TypeScript oracle,
// and test/pricing/model-names.db.test.ts ties the three together.
/** SQL giving the canonical model of `name` under `provider` at instant `at` (a timestamptz). */
export function canonicalModelSql(provider, name, at) {
    return sql `resolve_model(${provider}, ${name}, ${at})`;
}
/** The same for a line dated by day (invoice lines): the name as it resolved at 00:00 UTC of that day. */
export function canonicalModelOnDaySql(provider, name, day) {
    return sql `resolve_model(${provider}, ${name}, (${day})::date::timestamp at time zone 'UTC')`;
}
