import { adjustmentLineType, blankToNull, decimalText, parseDecimal, periodInvoiceId, unitMultiplier, utcDay } from "./common.js";
import { marketplaceSku, readBedrockUsageType, readMarketplaceSku } from "./bedrock-usage-types.js";
import { snakeHeader, splitHeaderLine, streamCsv } from "./csv-rows.js";
import { loadSkuMapping, skuMapper } from "./sku-mapping.js";
// AWS Cost and Usage Report (CUR 2.0, or legacy CUR with `lineItem/UsageType` headers) as CSV.
// Only Amazon Bedrock rows are read; the rest of the AWS bill is skipped. One line per token
// type per usage period; the token type, tier and region are encoded in the usage type.
const PROVIDER = 'aws.bedrock';
const REQUIRED = ['line_item_usage_type', 'line_item_unblended_cost', 'line_item_usage_start_date'];
/** line_item_line_item_type (spaces removed, lower-case) → recon line type. */
const LINE_ITEM_TYPES = {
    usage: 'usage',
    discountedusage: 'usage',
    savingsplancoveredusage: 'usage',
    credit: 'credit',
    refund: 'credit',
    tax: 'tax',
    savingsplannegation: 'discount',
};
export function bedrockLineType(itemType, amount) {
    const key = (itemType ?? 'Usage').replace(/\s+/g, '').toLowerCase();
    const known = LINE_ITEM_TYPES[key];
    if (known)
        return known;
    if (key.endsWith('discount'))
        return 'discount';
    if (key.endsWith('fee'))
        return 'fee';
    return adjustmentLineType(amount);
}
function isBedrock(r) {
    if ([r.get('line_item_product_code'), r.get('product_product_name'), r.get('product_servicecode'), r.get('product_service_code')]
        .some((v) => !!v && /bedrock/i.test(v)))
        return true;
    // Claude bought through AWS Marketplace: a Marketplace usage type on a Claude product.
    return /(^|-)MP:/.test(r.get('line_item_usage_type') ?? '') && /claude|anthropic/i.test(`${r.get('product_product_name') ?? ''} ${r.get('line_item_legal_entity') ?? ''}`);
}
function invoiceIdOf(r, day) {
    const id = blankToNull(r.get('bill_invoice_id'));
    if (id)
        return id;
    const period = blankToNull(r.get('billing_period')) ?? blankToNull(r.get('bill_billing_period_start_date'));
    return periodInvoiceId(PROVIDER, period && /^\d{4}-\d{2}/.test(period) ? period : day);
}
export function readBedrockSku(_provider, usageType) {
    if (usageType && /-MP:|^MP:/.test(usageType))
        return { name: 'bedrock-marketplace', meaning: readMarketplaceSku(usageType) };
    return { name: 'bedrock-usage-type', meaning: usageType ? readBedrockUsageType(usageType) : null };
}
export function toBedrockLine(r, mapSku) {
    const startText = r.get('line_item_usage_start_date');
    const day = utcDay(startText);
    if (!day)
        return { field: 'line_item_usage_start_date', value: startText ?? '', reason: 'usage start date is missing or not a date' };
    const costText = r.get('line_item_unblended_cost');
    const amount = parseDecimal(costText);
    if (!amount)
        return { field: 'line_item_unblended_cost', value: costText ?? '', reason: 'cost is missing or not a number' };
    const lineType = bedrockLineType(blankToNull(r.get('line_item_line_item_type')), amount);
    const rawUsageType = blankToNull(r.get('line_item_usage_type'));
    const usageType = rawUsageType ? (marketplaceSku(rawUsageType, blankToNull(r.get('product_product_name'))) ?? rawUsageType) : null;
    const productRegion = blankToNull(r.get('product_region_code')) ?? blankToNull(r.get('product_region'));
    let quantity = null;
    let mapped = null;
    if (lineType === 'usage') {
        mapped = mapSku(PROVIDER, usageType);
        // The quantity is read in the unit the CUR states (pricing_unit), never assumed: per-1K and
        // per-token usage types both occur. An unknown unit leaves the quantity empty.
        const pricingQuantity = blankToNull(r.get('pricing_quantity'));
        const quantityText = pricingQuantity ?? blankToNull(r.get('line_item_usage_amount'));
        const factor = unitMultiplier(r.get('pricing_unit'));
        if (quantityText !== null) {
            const q = parseDecimal(quantityText);
            if (!q)
                return { field: pricingQuantity ? 'pricing_quantity' : 'line_item_usage_amount', value: quantityText, reason: 'usage amount is not a number' };
            if (factor)
                quantity = decimalText(q.times(factor));
        }
    }
    return {
        provider: PROVIDER,
        invoice_id: invoiceIdOf(r, day),
        charge_date: day,
        provider_model: mapped?.provider_model ?? null,
        model: mapped?.model ?? null,
        token_category: mapped?.token_category ?? null,
        service_tier: mapped?.service_tier ?? 'standard',
        region: mapped?.region ?? productRegion,
        quantity,
        amount: decimalText(amount),
        currency: (blankToNull(r.get('line_item_currency_code')) ?? 'USD').toUpperCase(),
        line_type: lineType,
        sku: usageType,
        mapping_rule: mapped ? (mapped.service_tier ? mapped.rule : null) : `builtin:bedrock-${lineType}`,
        account_ref: blankToNull(r.get('line_item_usage_account_id')),
    };
}
export const bedrockCur = {
    name: 'bedrock-cur',
    kind: 'invoice',
    description: 'AWS Cost and Usage Report (CUR 2.0 or legacy) CSV; Amazon Bedrock rows',
    detect(head) {
        const columns = new Set(splitHeaderLine(head).map(snakeHeader));
        return REQUIRED.every((c) => columns.has(c));
    },
    async *parse(input, context) {
        const mapSku = skuMapper(loadSkuMapping(context.skuMappingFile), readBedrockSku);
        const validate = (columns) => {
            const missing = REQUIRED.filter((c) => !columns.has(c));
            if (missing.length)
                throw new Error(`${context.fileName} is not an AWS CUR export: missing column(s) ${missing.join(', ')}`);
        };
        for await (const r of streamCsv(input, snakeHeader, validate)) {
            if (!isBedrock(r)) {
                const service = blankToNull(r.get('product_servicecode')) ?? blankToNull(r.get('line_item_product_code')) ?? blankToNull(r.get('product_product_name'));
                context.onSkipped?.(service ?? '(no product code)', blankToNull(r.get('line_item_unblended_cost')));
                continue;
            }
            const line = toBedrockLine(r, mapSku);
            yield 'provider' in line ? { line: r.line, row: line } : { line: r.line, reject: { ...line, raw: r.raw } };
        }
    },
};
