import type { Readable } from 'node:stream';
import type { CanonicalInvoiceLine, LineType, ParsedRow, ServiceTier, SourceFormat, TokenCategory } from './format.ts';
import { headerOf, readHeaderedCsv } from './csv-records.ts';
import { normalizeProvider } from './ledger-formats/normalize.ts';
import { COST_CATEGORIES, LINE_TYPES as LINE_TYPE_WORDS, SERVICE_TIERS } from '../vocabulary.ts';

// The canonical invoice CSV: provider, invoice_id, charge_date, model, token_category,
// service_tier, quantity, amount, currency, line_type (+ optional sku, region, account_ref).
// Invoices are small; rows are checked here, one reject per bad row naming its field.

const REQUIRED = ['provider', 'invoice_id', 'charge_date', 'amount'] as const;
const CATEGORIES = new Set<TokenCategory>(COST_CATEGORIES);
const TIERS = new Set<ServiceTier>(SERVICE_TIERS);
const LINE_TYPES = new Set<LineType>(LINE_TYPE_WORDS);
const DECIMAL = /^-?\d+(\.\d+)?$/;

function isDay(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.getUTCFullYear() === Number(match[1]) && date.getUTCMonth() === Number(match[2]) - 1 && date.getUTCDate() === Number(match[3]);
}

type Check = { field: string; value: string; reason: string };

/** One CSV record (by header name) to an invoice line, or the first thing wrong with it. */
export function canonicalInvoiceLine(get: (column: string) => string | null): CanonicalInvoiceLine | Check {
  const provider = normalizeProvider(get('provider'));
  if (!provider) return { field: 'provider', value: '', reason: 'missing provider' };
  const invoiceId = get('invoice_id');
  if (!invoiceId) return { field: 'invoice_id', value: '', reason: 'missing invoice_id' };
  const day = get('charge_date') ?? '';
  if (!isDay(day)) return { field: 'charge_date', value: day, reason: 'charge_date must be a day YYYY-MM-DD' };
  const lineType = (get('line_type')?.toLowerCase() ?? 'usage') as LineType;
  if (!LINE_TYPES.has(lineType)) return { field: 'line_type', value: lineType, reason: 'line_type must be usage, discount, credit, tax or fee' };
  const category = get('token_category')?.toLowerCase() ?? null;
  if (category !== null && !CATEGORIES.has(category as TokenCategory)) {
    return { field: 'token_category', value: category, reason: 'token_category must be input, cached_input, cache_write_5m, cache_write_1h, output or request' };
  }
  const tier = (get('service_tier')?.toLowerCase() ?? 'standard') as ServiceTier;
  if (!TIERS.has(tier)) return { field: 'service_tier', value: tier, reason: 'service_tier must be standard, batch, flex or priority' };
  const quantity = get('quantity');
  if (quantity !== null && !DECIMAL.test(quantity)) return { field: 'quantity', value: quantity, reason: 'quantity must be a decimal number' };
  const amount = get('amount');
  if (amount === null) return { field: 'amount', value: '', reason: 'missing amount' };
  if (!DECIMAL.test(amount)) return { field: 'amount', value: amount, reason: 'amount must be a decimal number (no currency sign or thousands separator)' };
  const currency = (get('currency') ?? 'USD').toUpperCase();
  if (currency !== 'USD') return { field: 'currency', value: currency, reason: 'only USD invoices are reconciled; convert the file first' };
  const model = get('model') ?? get('provider_model');
  // A usage line must say what it is for; without a model and category it stays an unmapped line.
  const mapped = lineType !== 'usage' || (model !== null && category !== null);
  return {
    provider,
    invoice_id: invoiceId,
    charge_date: day,
    provider_model: model,
    model,
    token_category: category as TokenCategory | null,
    service_tier: tier,
    region: get('region'),
    quantity,
    amount,
    currency,
    line_type: lineType,
    sku: get('sku'),
    mapping_rule: mapped ? 'canonical' : null,
    account_ref: get('account_ref'),
  };
}

export const canonicalInvoiceCsv: SourceFormat<CanonicalInvoiceLine> = {
  name: 'canonical-invoice-csv',
  kind: 'invoice',
  description: 'recon canonical invoice CSV (provider, invoice_id, charge_date, model, token_category, service_tier, quantity, amount, currency, line_type)',
  detect(head) {
    const header = headerOf(head);
    return REQUIRED.every((column) => header.includes(column)) && header.includes('line_type');
  },
  async *parse(input: Readable): AsyncGenerator<ParsedRow<CanonicalInvoiceLine>> {
    const missing = (header: readonly string[]) => REQUIRED.filter((column) => !header.includes(column));
    for await (const record of readHeaderedCsv(input, missing)) {
      if ('reject' in record) {
        yield record;
        continue;
      }
      const result = canonicalInvoiceLine((column) => {
        const value = record.value(column)?.trim();
        return value === undefined || value === '' ? null : value;
      });
      yield 'reason' in result
        ? { line: record.line, reject: { field: result.field, value: result.value, reason: result.reason, raw: record.raw } }
        : { line: record.line, row: result };
    }
  },
};
