import { sql } from 'kysely';
import { countingFileIds } from "../ingest/files-that-count.js";
import { selectAliasLines, selectCardLines } from "./queries.js";
import { pricingRegion, priceRecord } from "./rules.js";
/** Attempts of a request (the request's own id, or attempts that name it as their original). */
async function selectRequestAttempts(db, requestId, attempt) {
    const fileIds = await countingFileIds(db, 'ledger');
    const { rows } = await sql `
    select request_id, attempt, ts, provider, response_model, requested_model,
           resolve_model(provider, response_model, ts) as canonical_model,
           service_tier, region, status, team, service, cost_center, gateway_key_id,
           input_tokens::text as input_tokens, output_tokens::text as output_tokens,
           cache_read_input_tokens::text as cache_read_input_tokens,
           cache_write_5m_input_tokens::text as cache_write_5m_input_tokens,
           cache_write_1h_input_tokens::text as cache_write_1h_input_tokens,
           reasoning_output_tokens::text as reasoning_output_tokens,
           ingested_file_id::text as ingested_file_id, source_line::text as source_line
    from ledger_record
    where (request_id = ${requestId} or original_request_id = ${requestId})
      and ingested_file_id = any(${fileIds}::bigint[])
      and (${attempt ?? null}::int is null or coalesce(attempt, 1) = ${attempt ?? null}::int)
    order by ts, coalesce(attempt, 1), request_id`.execute(db);
    return rows;
}
async function selectCardVersionNames(db) {
    const rows = await db.selectFrom('rate_card_version').select(['id', 'card_version']).execute();
    return new Map(rows.map((r) => [String(r.id), r.card_version]));
}
const iso = (d) => (d === null ? null : d.toISOString());
/** Pure: one ledger row priced against the card, in the shape the CLI prints. */
export function priceAttempt(row, lines, aliases, versionNames) {
    const record = {
        ts: row.ts,
        provider: row.provider,
        model: row.canonical_model,
        response_model: row.response_model,
        service_tier: row.service_tier,
        region: row.region,
        input_tokens: row.input_tokens,
        output_tokens: row.output_tokens,
        cache_read_input_tokens: row.cache_read_input_tokens,
        cache_write_5m_input_tokens: row.cache_write_5m_input_tokens,
        cache_write_1h_input_tokens: row.cache_write_1h_input_tokens,
        reasoning_output_tokens: row.reasoning_output_tokens,
    };
    const priced = priceRecord(record, lines, aliases);
    const byId = new Map(lines.map((l) => [l.id, l]));
    return {
        request_id: row.request_id,
        attempt: row.attempt,
        ts: row.ts.toISOString(),
        provider: row.provider,
        response_model: row.response_model,
        requested_model: row.requested_model,
        canonical_model: row.canonical_model,
        service_tier: row.service_tier,
        region: row.region,
        pricing_region: pricingRegion(row.provider, row.response_model, row.region),
        status: row.status,
        owner: { team: row.team, service: row.service, cost_center: row.cost_center, gateway_key_id: row.gateway_key_id },
        tokens: {
            input: row.input_tokens,
            output: row.output_tokens,
            cache_read_input: row.cache_read_input_tokens,
            cache_write_5m_input: row.cache_write_5m_input_tokens,
            cache_write_1h_input: row.cache_write_1h_input_tokens,
            reasoning_output: row.reasoning_output_tokens,
        },
        unpriced_reason: priced.unpriced_reason,
        categories: priced.categories.map((c) => {
            const line = c.line_id ? byId.get(c.line_id) : undefined;
            return {
                category: c.category,
                quantity: c.quantity.toFixed(),
                unit_price: c.unit_price,
                cost: c.cost.toFixed(),
                card_version: c.card_version_id ? (versionNames.get(c.card_version_id) ?? c.card_version_id) : null,
                line_id: c.line_id,
                line_effective_from: line ? iso(line.effective_from) : null,
                line_effective_to: line ? iso(line.effective_to) : null,
                unpriced_reason: c.unpriced_reason,
            };
        }),
        cost: priced.cost.toFixed(),
        source: { ingested_file_id: row.ingested_file_id, source_line: row.source_line },
    };
}
export async function priceRequest(db, requestId, attempt) {
    const rows = await selectRequestAttempts(db, requestId, attempt);
    if (rows.length === 0)
        return [];
    const [lines, aliases, versionNames] = await Promise.all([selectCardLines(db), selectAliasLines(db), selectCardVersionNames(db)]);
    return rows.map((row) => priceAttempt(row, lines, aliases, versionNames));
}
