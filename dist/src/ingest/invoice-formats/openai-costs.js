import { decimalText, parseDecimal, periodInvoiceId, utcDayFromEpochSeconds } from "./common.js";
import { child, field, results, streamBuckets } from "./json-buckets.js";
import { isOpenAiToolFee, readOpenAiLineItem } from "./openai-line-items.js";
import { loadSkuMapping, skuMapper } from "./sku-mapping.js";
// OpenAI organization Costs API (`GET /v1/organization/costs`, grouped by line_item, and
// optionally project_id / api_key_id): one page, an array of pages, or JSONL of pages.
// Amounts are read from the file's own number text, never through a JS number.
const PROVIDER = 'openai';
/** quantity_unit → single units; other units (images, seconds…) carry no token count. */
const QUANTITY_UNITS = { tokens: '1', '1000_tokens': '1000', requests: '1' };
export function openAiAccountRef(result) {
    const parts = [field(result, 'project_id'), field(result, 'api_key_id')].filter((p) => !!p);
    return parts.length ? parts.join('/') : null;
}
function lineTypeOf(lineItem, amountNegative) {
    const text = (lineItem ?? '').toLowerCase();
    if (/\btax\b|\bvat\b|\bgst\b/.test(text))
        return 'tax';
    if (/\bdiscount\b/.test(text))
        return 'discount';
    if (/\bcredit\b|\brefund\b|\bpromo/.test(text) || amountNegative)
        return 'credit';
    if (lineItem && isOpenAiToolFee(lineItem))
        return 'fee';
    return 'usage';
}
export function readOpenAiSku(_provider, lineItem) {
    return { name: 'openai-line-item', meaning: lineItem ? readOpenAiLineItem(lineItem) : null };
}
export function toOpenAiCostLine(bucket, result, mapSku) {
    const day = utcDayFromEpochSeconds(field(bucket, 'start_time'));
    if (!day)
        return { field: 'start_time', value: field(bucket, 'start_time') ?? '', reason: 'bucket start_time is not a Unix time in seconds' };
    const amountObject = child(result, 'amount');
    const amountText = amountObject ? field(amountObject, 'value') : field(result, 'amount');
    const amount = parseDecimal(amountText);
    if (!amount)
        return { field: 'amount.value', value: amountText ?? '', reason: 'amount is missing or not a number' };
    const lineItem = field(result, 'line_item');
    const lineType = lineTypeOf(lineItem, amount.isNegative());
    const mapped = lineType === 'usage'
        ? mapSku(PROVIDER, lineItem)
        : null;
    let quantity = null;
    const quantityText = field(result, 'quantity');
    if (quantityText !== null) {
        const q = parseDecimal(quantityText);
        if (!q)
            return { field: 'quantity', value: quantityText, reason: 'quantity is not a number' };
        const unit = field(result, 'quantity_unit');
        // Before quantity_unit existed (2026-08) the Costs API counted tokens.
        const factor = unit === null ? '1' : QUANTITY_UNITS[unit.toLowerCase()];
        if (factor !== undefined)
            quantity = decimalText(q.times(factor));
    }
    return {
        provider: PROVIDER,
        invoice_id: periodInvoiceId(PROVIDER, day),
        charge_date: day,
        provider_model: mapped?.provider_model ?? null,
        model: mapped?.model ?? null,
        token_category: mapped?.token_category ?? null,
        service_tier: mapped?.service_tier ?? 'standard',
        region: mapped?.region ?? null,
        quantity,
        amount: decimalText(amount),
        currency: (amountObject ? field(amountObject, 'currency') : null)?.toUpperCase() ?? 'USD',
        line_type: lineType,
        sku: lineItem,
        mapping_rule: mapped ? mapped.rule : lineType === 'usage' ? null : `builtin:openai-${lineType}`,
        account_ref: openAiAccountRef(result),
    };
}
export const openAiCosts = {
    name: 'openai-costs',
    kind: 'invoice',
    description: 'OpenAI organization Costs API JSON (pages of daily buckets; one page, an array of pages, or JSONL)',
    detect(head) {
        if (/"organization\.costs\.result"/.test(head))
            return true;
        return /^\s*[[{]/.test(head) && /"start_time"\s*:/.test(head) && /"amount"\s*:\s*\{/.test(head) && !/"num_model_requests"\s*:/.test(head);
    },
    async *parse(input, context) {
        const mapSku = skuMapper(loadSkuMapping(context.skuMappingFile), readOpenAiSku);
        let record = 0;
        let buckets = 0;
        for await (const bucket of streamBuckets(input)) {
            buckets += 1;
            for (const result of results(bucket)) {
                record += 1;
                const object = field(result, 'object');
                if (object && object !== 'organization.costs.result') {
                    throw new Error(`${context.fileName} holds "${object}" results, not OpenAI costs; use the format that matches the file (e.g. openai-usage)`);
                }
                const line = toOpenAiCostLine(bucket, result, mapSku);
                yield 'provider' in line ? { line: record, row: line } : { line: record, reject: { ...line, raw: JSON.stringify(result) } };
            }
        }
        if (buckets === 0)
            throw new Error(`${context.fileName} is not an OpenAI Costs API export: no "data" buckets found`);
    },
};
