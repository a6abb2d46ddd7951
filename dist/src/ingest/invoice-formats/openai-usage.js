import { Decimal } from "../../money.js";
import { decimalText, normaliseTier, parseDecimal, utcDayFromEpochSeconds } from "./common.js";
import { field, results, streamBuckets } from "./json-buckets.js";
import { openAiAccountRef } from "./openai-costs.js";
// OpenAI Usage API, completions (`GET /v1/organization/usage/completions`): tokens without money,
// to cross-check the ledger's quantities. `input_tokens` includes cached and cache-write tokens,
// so uncached input = input − cached − cache_write (or `input_uncached_tokens` when present).
const PROVIDER = 'openai';
function count(result, key) {
    const text = field(result, key);
    if (text === null)
        return null;
    const value = parseDecimal(text);
    return value && value.isInteger() && !value.isNegative() ? value : 'bad';
}
/** One usage result → one row per token category with tokens, plus a `request` row with the request count. */
export function toOpenAiUsageRows(bucket, result) {
    const day = utcDayFromEpochSeconds(field(bucket, 'start_time'));
    if (!day)
        return { field: 'start_time', value: field(bucket, 'start_time') ?? '', reason: 'bucket start_time is not a Unix time in seconds' };
    const values = {};
    for (const key of ['input_tokens', 'output_tokens', 'input_cached_tokens', 'input_cache_write_tokens', 'input_uncached_tokens', 'num_model_requests']) {
        const v = count(result, key);
        if (v === 'bad')
            return { field: key, value: field(result, key) ?? '', reason: `${key} is not a whole non-negative number` };
        values[key] = v;
    }
    const input = values.input_tokens ?? null;
    const output = values.output_tokens ?? null;
    if (input === null || output === null)
        return { field: input === null ? 'input_tokens' : 'output_tokens', reason: 'required token count is missing' };
    const cached = values.input_cached_tokens ?? new Decimal(0);
    const cacheWrite = values.input_cache_write_tokens ?? new Decimal(0);
    const uncached = values.input_uncached_tokens ?? input.minus(cached).minus(cacheWrite);
    if (uncached.isNegative()) {
        return { field: 'input_tokens', value: input.toFixed(), reason: `input_tokens ${input.toFixed()} is less than cached ${cached.toFixed()} + cache-write ${cacheWrite.toFixed()} tokens` };
    }
    const batch = field(result, 'batch');
    const tierText = field(result, 'service_tier');
    const tier = batch === 'true' ? 'batch' : normaliseTier(tierText);
    if (!tier)
        return { field: 'service_tier', value: tierText ?? '', reason: `unknown service tier "${tierText}"` };
    const model = field(result, 'model');
    const common = { provider: PROVIDER, usage_date: day, provider_model: model, model, service_tier: tier, account_ref: openAiAccountRef(result) };
    const rows = [];
    const categories = [['input', uncached], ['cached_input', cached], ['cache_write_5m', cacheWrite], ['output', output]];
    for (const [category, quantity] of categories) {
        if (!quantity.isZero())
            rows.push({ ...common, token_category: category, quantity: decimalText(quantity), requests: null });
    }
    const requests = values.num_model_requests;
    if (requests && !requests.isZero())
        rows.push({ ...common, token_category: 'request', quantity: decimalText(requests), requests: decimalText(requests) });
    return rows;
}
export const openAiUsage = {
    name: 'openai-usage',
    kind: 'usage',
    description: 'OpenAI organization Usage API completions JSON (tokens by day, model, project, key, batch, tier)',
    detect(head) {
        return /"organization\.usage\.completions\.result"/.test(head) || (/"num_model_requests"\s*:/.test(head) && /"input_tokens"\s*:/.test(head));
    },
    async *parse(input, context) {
        let record = 0;
        let buckets = 0;
        for await (const bucket of streamBuckets(input)) {
            buckets += 1;
            for (const result of results(bucket)) {
                record += 1;
                const object = field(result, 'object');
                if (object && object !== 'organization.usage.completions.result') {
                    throw new Error(`${context.fileName} holds "${object}" results; openai-usage reads completions usage only`);
                }
                const rows = toOpenAiUsageRows(bucket, result);
                if (Array.isArray(rows))
                    for (const row of rows)
                        yield { line: record, row };
                else
                    yield { line: record, reject: { ...rows, raw: JSON.stringify(result) } };
            }
        }
        if (buckets === 0)
            throw new Error(`${context.fileName} is not an OpenAI Usage API export: no "data" buckets found`);
    },
};
