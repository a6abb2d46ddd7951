import { adjustmentLineType, blankToNull, decimalText, parseDecimal, periodInvoiceId, unitMultiplier, utcDay } from "./common.js";
import { readAzureMeter } from "./azure-meters.js";
import { readBedrockUsageType } from "./bedrock-usage-types.js";
import { lowerHeader, splitHeaderLine, streamCsv } from "./csv-rows.js";
import { loadSkuMapping, skuMapper } from "./sku-mapping.js";
// FOCUS 1.0 / 1.1 / 1.2 cost exports (CSV) from any cloud or SaaS provider. Only rows of AI model
// services are read (Azure OpenAI / Foundry, Amazon Bedrock, Vertex AI / Gemini, OpenAI,
// Anthropic); the rest of a cloud bill is skipped. BilledCost is the invoiced amount.
const REQUIRED = ['billedcost', 'chargeperiodstart', 'chargecategory'];
const CHARGE_CATEGORIES = {
    usage: 'usage',
    purchase: 'fee',
    tax: 'tax',
    credit: 'credit',
};
export function focusLineType(chargeCategory, amount) {
    return CHARGE_CATEGORIES[(chargeCategory ?? 'usage').trim().toLowerCase()] ?? adjustmentLineType(amount);
}
/** The OTel provider of a FOCUS row when it is AI model spend, else null (row skipped). */
export function focusProvider(r) {
    // FOCUS 1.3 names the provider in ServiceProviderName / HostProviderName (ProviderName and
    // PublisherName are deprecated there); a file may carry either generation of columns.
    const provider = `${r.get('providername') ?? ''} ${r.get('serviceprovidername') ?? ''} ${r.get('hostprovidername') ?? ''} ${r.get('invoiceissuername') ?? ''}`.toLowerCase();
    const publisher = `${r.get('publishername') ?? ''} ${r.get('serviceprovidername') ?? ''}`.toLowerCase();
    const service = [r.get('servicename'), r.get('servicesubcategory'), r.get('x_skumetercategory'), r.get('x_skumetersubcategory')]
        .map((v) => v ?? '').join(' ').toLowerCase();
    if (/microsoft|azure/.test(provider)) {
        if (/openai|foundry|cognitive services|ai services/.test(service))
            return 'azure.ai.openai';
        const meter = r.get('x_skumetername') ?? r.get('skumeter');
        if (meter && readAzureMeter(meter)?.token_category)
            return 'azure.ai.openai';
    }
    if (/amazon|aws/.test(provider) && /bedrock/.test(service))
        return 'aws.bedrock';
    if (/google/.test(provider) && /vertex|gemini|generative/.test(service))
        return 'gcp.vertex_ai';
    // A model vendor's rows, billed directly or resold through a host's marketplace, are the vendor's.
    if (/openai/.test(provider) || /openai/.test(publisher))
        return 'openai';
    if (/anthropic/.test(provider) || /anthropic/.test(publisher))
        return 'anthropic';
    return null;
}
/** Vertex AI SKU descriptions: "Gemini 2.5 Flash GA Text Input - Predictions", "… Input Text Caching". */
export function readVertexSku(sku) {
    const m = /^gemini\s+([\d.]+)\s+(flash[\s-]lite|flash|pro)\b/i.exec(sku.trim());
    if (!m)
        return null;
    const text = sku.toLowerCase();
    let category = null;
    if (/caching storage|storage/.test(text) || /\b(audio|image|video)\b/.test(text))
        category = null;
    else if (/caching|cached/.test(text))
        category = 'cached_input';
    else if (/\binput\b/.test(text))
        category = 'input';
    else if (/\boutput\b/.test(text))
        category = 'output';
    const tier = /\bbatch\b/.test(text) ? 'batch' : /\bflex\b/.test(text) ? 'flex' : /\bpriority\b/.test(text) ? 'priority' : 'standard';
    return {
        model: `gemini-${m[1]}-${m[2].toLowerCase().replace(/\s+/g, '-')}`,
        token_category: category,
        service_tier: tier,
        region: null,
        provider_model: `Gemini ${m[1]} ${m[2]}`,
    };
}
function builtinFor(provider, sku) {
    if (provider === 'azure.ai.openai')
        return { name: 'azure-meter', meaning: sku ? readAzureMeter(sku) : null };
    if (provider === 'aws.bedrock') {
        return { name: 'bedrock-usage-type', meaning: sku ? readBedrockUsageType(sku) : null };
    }
    if (provider === 'gcp.vertex_ai')
        return { name: 'vertex-sku', meaning: sku ? readVertexSku(sku) : null };
    return { name: 'focus', meaning: null };
}
function quantityOf(r) {
    const pairs = [['consumedquantity', 'consumedunit'], ['pricingquantity', 'pricingunit']];
    for (const [column, unitColumn] of pairs) {
        const text = blankToNull(r.get(column));
        if (text === null)
            continue;
        const q = parseDecimal(text);
        if (!q)
            return { field: column, value: text, reason: 'quantity is not a number' };
        const factor = unitMultiplier(r.get(unitColumn));
        if (factor)
            return { value: decimalText(q.times(factor)) };
    }
    return { value: null };
}
export function toFocusLine(r, provider, mapSku) {
    const startText = r.get('chargeperiodstart');
    const day = utcDay(startText);
    if (!day)
        return { field: 'ChargePeriodStart', value: startText ?? '', reason: 'charge period start is missing or not a date' };
    const costText = r.get('billedcost');
    const amount = parseDecimal(costText);
    if (!amount)
        return { field: 'BilledCost', value: costText ?? '', reason: 'billed cost is missing or not a number' };
    const lineType = focusLineType(blankToNull(r.get('chargecategory')), amount);
    // AWS rows are named by their usage type, the key the Bedrock rules (built-in and user) read.
    const usageType = provider === 'aws.bedrock' ? blankToNull(r.get('x_usagetype')) : null;
    const sku = usageType ?? blankToNull(r.get('x_skumetername')) ?? blankToNull(r.get('skumeter')) ?? blankToNull(r.get('x_usagetype'))
        ?? blankToNull(r.get('chargedescription')) ?? blankToNull(r.get('skuid'));
    let quantity = null;
    let mapped = null;
    if (lineType === 'usage') {
        mapped = mapSku(provider, sku);
        const q = quantityOf(r);
        if ('reason' in q)
            return q;
        quantity = q.value;
    }
    const invoiceId = blankToNull(r.get('invoiceid'))
        ?? periodInvoiceId(provider, utcDay(r.get('billingperiodstart')) ?? day);
    return {
        provider,
        invoice_id: invoiceId,
        charge_date: day,
        provider_model: mapped?.provider_model ?? null,
        model: mapped?.model ?? null,
        token_category: mapped?.token_category ?? null,
        service_tier: mapped?.service_tier ?? 'standard',
        region: blankToNull(r.get('regionid')) ?? mapped?.region ?? null,
        quantity,
        amount: decimalText(amount),
        currency: (blankToNull(r.get('billingcurrency')) ?? 'USD').toUpperCase(),
        line_type: lineType,
        sku,
        mapping_rule: mapped ? (mapped.service_tier ? mapped.rule : null) : `builtin:focus-${lineType}`,
        account_ref: blankToNull(r.get('subaccountid')) ?? blankToNull(r.get('billingaccountid')),
    };
}
export const focus = {
    name: 'focus',
    kind: 'invoice',
    description: 'FOCUS 1.0-1.3 cost export CSV (Azure OpenAI, Bedrock, Vertex AI and AI SaaS rows)',
    detect(head) {
        const columns = new Set(splitHeaderLine(head).map(lowerHeader));
        return REQUIRED.every((c) => columns.has(c));
    },
    async *parse(input, context) {
        const mapSku = skuMapper(loadSkuMapping(context.skuMappingFile), builtinFor);
        const validate = (columns) => {
            const missing = REQUIRED.filter((c) => !columns.has(c));
            if (missing.length)
                throw new Error(`${context.fileName} is not a FOCUS export: missing column(s) ${missing.join(', ')} (names are case-insensitive)`);
        };
        for await (const r of streamCsv(input, lowerHeader, validate)) {
            const provider = focusProvider(r);
            if (!provider) {
                context.onSkipped?.(blankToNull(r.get('servicename')) ?? blankToNull(r.get('x_skumetercategory')) ?? '(no service name)', blankToNull(r.get('billedcost')));
                continue;
            }
            const line = toFocusLine(r, provider, mapSku);
            yield 'provider' in line ? { line: r.line, row: line } : { line: r.line, reject: { ...line, raw: r.raw } };
        }
    },
};
