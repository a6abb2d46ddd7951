import { readAzureMeter } from "./azure-meters.js";
import { adjustmentLineType, blankToNull, decimalText, parseDecimal, periodInvoiceId, unitMultiplier, utcDay } from "./common.js";
import { splitHeaderLine, streamCsv } from "./csv-rows.js";
import { loadSkuMapping, skuMapper } from "./sku-mapping.js";
// Azure's native "Cost and usage details" CSV (Cost Management → Exports, or Cost analysis →
// Download → "Usage details"), the EA and MCA actual-cost schemas: Date, ChargeType,
// MeterCategory, MeterSubCategory, MeterName, UnitOfMeasure, Quantity, CostInBillingCurrency,
// BillingCurrency, … EA writes PascalCase headers and MM/DD/YYYY dates, MCA camelCase and ISO
// dates; headers are compared without case, spaces or underscores. Only Azure OpenAI / Foundry
// rows are read; the rest of the Azure bill is skipped and reported as skipped.
const PROVIDER = 'azure.ai.openai';
const REQUIRED = ['date', 'metername', 'quantity', 'costinbillingcurrency'];
const SIGNATURE = ['metercategory', 'metername'];
export function azureHeader(name) {
    return name.trim().toLowerCase().replace(/[\s_]+/g, '');
}
const CHARGE_TYPES = {
    usage: 'usage',
    purchase: 'fee',
    unusedreservation: 'fee',
    unusedsavingsplan: 'fee',
    refund: 'credit',
    tax: 'tax',
};
export function azureLineType(chargeType, amount) {
    return CHARGE_TYPES[(chargeType ?? 'usage').replace(/\s+/g, '').toLowerCase()] ?? adjustmentLineType(amount);
}
/** The service of a row, as named in the skipped-rows report. */
export function azureService(r) {
    return [blankToNull(r.get('metercategory')), blankToNull(r.get('metersubcategory'))].filter(Boolean).join(' / ') || blankToNull(r.get('consumedservice')) || '(no meter category)';
}
/** Azure OpenAI / Foundry model spend, as FOCUS reads it (src/ingest/invoice-formats/focus.ts). */
export function isAzureOpenAi(r) {
    const service = [r.get('metercategory'), r.get('metersubcategory'), r.get('consumedservice'), r.get('productname'), r.get('product')]
        .map((v) => v ?? '').join(' ').toLowerCase();
    if (/openai|foundry|cognitive ?services|ai services/.test(service))
        return true;
    const meter = r.get('metername');
    return !!meter && !!readAzureMeter(meter)?.token_category && /token/i.test(`${meter} ${r.get('unitofmeasure') ?? ''}`);
}
export function readAzureSku(_provider, meter) {
    return { name: 'azure-meter', meaning: meter ? readAzureMeter(meter) : null };
}
export function toAzureCostLine(r, mapSku) {
    const dateText = r.get('date');
    const day = utcDay(dateText);
    if (!day)
        return { field: 'Date', value: dateText ?? '', reason: 'date is missing or not a date (MM/DD/YYYY or YYYY-MM-DD)' };
    const costText = r.get('costinbillingcurrency');
    const amount = parseDecimal(costText);
    if (!amount)
        return { field: 'CostInBillingCurrency', value: costText ?? '', reason: 'cost is missing or not a number' };
    const lineType = azureLineType(blankToNull(r.get('chargetype')), amount);
    const meter = blankToNull(r.get('metername'));
    let quantity = null;
    let mapped = null;
    if (lineType === 'usage') {
        mapped = mapSku(PROVIDER, meter);
        const quantityText = blankToNull(r.get('quantity'));
        if (quantityText !== null) {
            const q = parseDecimal(quantityText);
            if (!q)
                return { field: 'Quantity', value: quantityText, reason: 'quantity is not a number' };
            // Quantity counts UnitOfMeasure units ("1K", "1M", "1 Hour"): a unit recon cannot read leaves it empty.
            const factor = unitMultiplier(r.get('unitofmeasure'));
            if (factor)
                quantity = decimalText(q.times(factor));
        }
    }
    const period = utcDay(r.get('billingperiodstartdate'));
    return {
        provider: PROVIDER,
        invoice_id: blankToNull(r.get('invoiceid')) ?? blankToNull(r.get('invoicenumber')) ?? periodInvoiceId(PROVIDER, period ?? day),
        charge_date: day,
        provider_model: mapped?.provider_model ?? null,
        model: mapped?.model ?? null,
        token_category: mapped?.token_category ?? null,
        service_tier: mapped?.service_tier ?? 'standard',
        region: blankToNull(r.get('resourcelocation')) ?? blankToNull(r.get('meterregion')) ?? null,
        quantity,
        amount: decimalText(amount),
        currency: (blankToNull(r.get('billingcurrency')) ?? blankToNull(r.get('billingcurrencycode')) ?? 'USD').toUpperCase(),
        line_type: lineType,
        sku: meter,
        mapping_rule: mapped ? (mapped.service_tier ? mapped.rule : null) : `builtin:azure-${lineType}`,
        account_ref: blankToNull(r.get('subscriptionid')) ?? blankToNull(r.get('subscriptionguid')) ?? blankToNull(r.get('subscriptionname')),
    };
}
export const azureCostDetails = {
    name: 'azure-cost-details',
    kind: 'invoice',
    description: 'Azure "Cost and usage details" CSV (EA / MCA actual cost: Date, ChargeType, MeterCategory, MeterName, Quantity, CostInBillingCurrency, BillingCurrency); Azure OpenAI rows',
    detect(head) {
        const columns = new Set(splitHeaderLine(head).map(azureHeader));
        return REQUIRED.every((c) => columns.has(c)) && SIGNATURE.every((c) => columns.has(c)) && !columns.has('billedcost');
    },
    async *parse(input, context) {
        const mapSku = skuMapper(loadSkuMapping(context.skuMappingFile), readAzureSku);
        const validate = (columns) => {
            const missing = REQUIRED.filter((c) => !columns.has(c));
            if (missing.length)
                throw new Error(`${context.fileName} is not an Azure cost and usage details export: missing column(s) ${missing.join(', ')} (names are case-insensitive)`);
        };
        for await (const r of streamCsv(input, azureHeader, validate)) {
            if (!isAzureOpenAi(r)) {
                context.onSkipped?.(azureService(r), blankToNull(r.get('costinbillingcurrency')));
                continue;
            }
            const line = toAzureCostLine(r, mapSku);
            yield 'provider' in line ? { line: r.line, row: line } : { line: r.line, reject: { ...line, raw: r.raw } };
        }
    },
};
