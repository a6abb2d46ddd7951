import { decimalText, normaliseTier, parseDecimal, utcDay } from "./common.js";
import { child, field, results, streamBuckets } from "./json-buckets.js";
import { anthropicAccountRef } from "./anthropic-cost.js";
// Anthropic Admin API messages usage report (`GET /v1/organizations/usage_report/messages`).
// Its token counts are already split: uncached input, cache reads, 5m and 1h cache writes,
// output. Web search requests are not tokens and are not carried.
const PROVIDER = 'anthropic';
export function toAnthropicUsageRows(bucket, result) {
    const day = utcDay(field(bucket, 'starting_at'));
    if (!day)
        return { field: 'starting_at', value: field(bucket, 'starting_at') ?? '', reason: 'bucket starting_at is not an RFC 3339 time' };
    const cacheCreation = child(result, 'cache_creation') ?? {};
    const sources = [
        ['input', 'uncached_input_tokens', field(result, 'uncached_input_tokens')],
        ['cached_input', 'cache_read_input_tokens', field(result, 'cache_read_input_tokens')],
        ['cache_write_5m', 'cache_creation.ephemeral_5m_input_tokens', field(cacheCreation, 'ephemeral_5m_input_tokens')],
        ['cache_write_1h', 'cache_creation.ephemeral_1h_input_tokens', field(cacheCreation, 'ephemeral_1h_input_tokens')],
        ['output', 'output_tokens', field(result, 'output_tokens')],
    ];
    const tierText = field(result, 'service_tier');
    const tier = normaliseTier(tierText);
    if (!tier)
        return { field: 'service_tier', value: tierText ?? '', reason: `unknown service tier "${tierText}"` };
    const model = field(result, 'model');
    const rows = [];
    for (const [category, name, text] of sources) {
        if (text === null)
            continue;
        const value = parseDecimal(text);
        if (!value || !value.isInteger() || value.isNegative())
            return { field: name, value: text, reason: `${name} is not a whole non-negative number` };
        if (value.isZero())
            continue;
        rows.push({
            provider: PROVIDER,
            usage_date: day,
            provider_model: model,
            model,
            token_category: category,
            service_tier: tier,
            quantity: decimalText(value),
            requests: null,
            account_ref: anthropicAccountRef(result),
        });
    }
    return rows;
}
export const anthropicUsage = {
    name: 'anthropic-usage',
    kind: 'usage',
    description: 'Anthropic Admin API usage_report/messages JSON (tokens by day, model, workspace, key, tier)',
    detect(head) {
        return /"starting_at"\s*:/.test(head) && /"uncached_input_tokens"\s*:/.test(head);
    },
    async *parse(input, context) {
        let record = 0;
        let buckets = 0;
        for await (const bucket of streamBuckets(input)) {
            buckets += 1;
            for (const result of results(bucket)) {
                record += 1;
                const rows = toAnthropicUsageRows(bucket, result);
                if (Array.isArray(rows))
                    for (const row of rows)
                        yield { line: record, row };
                else
                    yield { line: record, reject: { ...rows, raw: JSON.stringify(result) } };
            }
        }
        if (buckets === 0)
            throw new Error(`${context.fileName} is not an Anthropic usage report: no "data" buckets found`);
    },
};
