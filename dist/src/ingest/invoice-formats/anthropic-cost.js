import { decimalText, normaliseTier, parseDecimal, periodInvoiceId, utcDay } from "./common.js";
import { child, field, results, streamBuckets } from "./json-buckets.js";
import { loadSkuMapping, mapSku } from "./sku-mapping.js";
// Anthropic Admin API cost report (`GET /v1/organizations/cost_report`, daily buckets, best
// grouped by description and workspace_id). `amount` is in CENTS as a decimal string:
// "123.45" means $1.2345. Without group_by=description, model and token_type are null and
// the line is kept as an unmapped amount.
const PROVIDER = 'anthropic';
export const ANTHROPIC_TOKEN_TYPES = {
    uncached_input_tokens: 'input',
    input_tokens: 'input',
    output_tokens: 'output',
    cache_read_input_tokens: 'cached_input',
    'cache_creation.ephemeral_5m_input_tokens': 'cache_write_5m',
    'cache_creation.ephemeral_1h_input_tokens': 'cache_write_1h',
    // older reports had one cache-creation count, billed at the 5-minute write price
    cache_creation_input_tokens: 'cache_write_5m',
};
export function anthropicAccountRef(result) {
    const parts = [field(result, 'workspace_id'), field(result, 'api_key_id')].filter((p) => !!p);
    return parts.length ? parts.join('/') : null;
}
function geoRegion(result) {
    const geo = field(result, 'inference_geo');
    return geo && geo !== 'not_available' ? geo : null;
}
export function toAnthropicCostLine(bucket, result, mapping) {
    const day = utcDay(field(bucket, 'starting_at'));
    if (!day)
        return { field: 'starting_at', value: field(bucket, 'starting_at') ?? '', reason: 'bucket starting_at is not an RFC 3339 time' };
    const amountText = field(result, 'amount') ?? (child(result, 'amount') ? field(child(result, 'amount'), 'value') : null);
    const cents = parseDecimal(amountText);
    if (!cents)
        return { field: 'amount', value: amountText ?? '', reason: 'amount is missing or not a number' };
    const amount = cents.dividedBy(100);
    const model = field(result, 'model');
    const tokenType = field(result, 'token_type');
    const costType = field(result, 'cost_type');
    const tierText = field(result, 'service_tier');
    const contextWindow = field(result, 'context_window');
    const sku = field(result, 'description') ?? ([model, tokenType ?? costType, tierText, contextWindow].filter(Boolean).join(', ') || null);
    const base = {
        provider: PROVIDER,
        invoice_id: periodInvoiceId(PROVIDER, day),
        charge_date: day,
        provider_model: model,
        amount: decimalText(amount),
        currency: (field(result, 'currency') ?? 'USD').toUpperCase(),
        sku,
        quantity: null,
        account_ref: anthropicAccountRef(result),
    };
    const tier = normaliseTier(tierText);
    if (amount.isNegative()) {
        return { ...base, model: null, token_category: null, service_tier: tier ?? 'standard', region: null, line_type: 'credit', mapping_rule: 'builtin:anthropic-credit' };
    }
    // Web search and code execution are billed per use, not per token: a fee of the model's workspace.
    if (costType && costType !== 'tokens') {
        return { ...base, model, token_category: null, service_tier: tier ?? 'standard', region: geoRegion(result), line_type: 'fee', mapping_rule: `builtin:anthropic-${costType}` };
    }
    const category = tokenType ? (ANTHROPIC_TOKEN_TYPES[tokenType] ?? null) : null;
    const meaning = model || category
        ? { model, token_category: category, service_tier: tier, region: geoRegion(result), provider_model: model }
        : null;
    const mapped = mapSku(mapping, PROVIDER, sku, { name: 'anthropic-token-type', meaning });
    return {
        ...base,
        model: mapped.model,
        token_category: mapped.token_category,
        service_tier: mapped.service_tier ?? 'standard',
        region: mapped.region,
        line_type: 'usage',
        mapping_rule: mapped.service_tier ? mapped.rule : null,
    };
}
export const anthropicCost = {
    name: 'anthropic-cost',
    kind: 'invoice',
    description: 'Anthropic Admin API cost_report JSON (daily buckets; amount in cents as a decimal string)',
    detect(head) {
        return /"starting_at"\s*:/.test(head) && /"amount"\s*:/.test(head) && (/"cost_type"\s*:/.test(head) || /"token_type"\s*:/.test(head) || /"currency"\s*:\s*"USD"/i.test(head));
    },
    async *parse(input, context) {
        const mapping = loadSkuMapping(context.skuMappingFile);
        let record = 0;
        let buckets = 0;
        for await (const bucket of streamBuckets(input)) {
            buckets += 1;
            for (const result of results(bucket)) {
                record += 1;
                if (field(result, 'amount') === null && child(result, 'amount') === null && field(result, 'uncached_input_tokens') !== null) {
                    throw new Error(`${context.fileName} is an Anthropic usage report, not a cost report; use --format anthropic-usage`);
                }
                const line = toAnthropicCostLine(bucket, result, mapping);
                yield 'provider' in line ? { line: record, row: line } : { line: record, reject: { ...line, raw: JSON.stringify(result) } };
            }
        }
        if (buckets === 0)
            throw new Error(`${context.fileName} is not an Anthropic cost report: no "data" buckets found`);
    },
};
