import { Readable } from 'node:stream';
import parserStream from 'stream-json';
import type { CanonicalInvoiceLine, LineType, ParsedRow, Reject, SourceFormat } from '../format.ts';
import { adjustmentLineType, blankToNull, decimalText, isBlank, parseDecimal, periodInvoiceId, unitMultiplier, utcDay } from './common.ts';
import { splitHeaderLine, streamCsv } from './csv-rows.ts';
import { readVertexSku } from './focus.ts';
import { ValueBuilder, type JsonObject, type JsonValue } from './json-buckets.ts';
import { loadSkuMapping, skuMapper, type MappedSku } from './sku-mapping.ts';
import { peekHead } from '../ledger-formats/json-stream.ts';

// Google Cloud's standard billing export (BigQuery table gcp_billing_export_v1_<account>),
// exported from BigQuery as CSV (nested fields as `service.description` or `service_description`,
// `credits` as a JSON array in one cell) or as JSON (newline-delimited, or one array). Only
// Vertex AI / Gemini rows are read; the rest of the bill is skipped and reported as skipped.
// `cost` is in `currency` (the billing account's currency) before credits; each credit becomes
// a line of its own. Numbers are read from the file's own text, never through a JS number.

const PROVIDER = 'gcp.vertex_ai';
const REQUIRED = ['servicedescription', 'skudescription', 'usagestarttime', 'cost'];

/** `service.description`, `service_description` and nested `service: {description}` all become `servicedescription`. */
export function gcpKey(name: string): string {
  return name.trim().toLowerCase().replace(/[\s._]+/g, '');
}

interface GcpRow {
  line: number;
  get(key: string): string | null;
  credits: JsonValue | undefined;
  raw: string;
}

export interface GcpCredit {
  name: string | null;
  amount: string | null;
  type: string | null;
}

function flatten(value: JsonObject, prefix: string, into: Map<string, JsonValue>): void {
  for (const [key, child] of Object.entries(value)) {
    const name = prefix + gcpKey(key);
    if (child && typeof child === 'object' && !Array.isArray(child)) flatten(child, name, into);
    else into.set(name, child);
  }
}

/** JSON text with every number turned into a string of its digits, so JSON.parse never rounds an amount. */
export function parseExactJson(text: string): JsonValue {
  return JSON.parse(text.replace(/("(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g, (_, str: string | undefined, num: string) => str ?? `"${num}"`)) as JsonValue;
}

export function readCredits(value: JsonValue | undefined): GcpCredit[] | null {
  let list: JsonValue | undefined = value;
  if (typeof list === 'string') {
    if (isBlank(list) || list.trim() === '[]') return [];
    try {
      list = parseExactJson(list);
    } catch {
      return null;
    }
  }
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) return null;
  const text = (v: JsonValue | undefined) => (typeof v === 'string' ? v : null);
  return list.filter((c): c is JsonObject => !!c && typeof c === 'object' && !Array.isArray(c))
    .map((c) => ({ name: text(c.full_name) ?? text(c.name), amount: text(c.amount), type: text(c.type) }));
}

const COST_TYPES: Readonly<Record<string, LineType>> = { regular: 'usage', tax: 'tax' };
const DISCOUNT_CREDITS = new Set(['DISCOUNT', 'COMMITTED_USAGE_DISCOUNT', 'COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE', 'SUSTAINED_USAGE_DISCOUNT', 'RESELLER_MARGIN']);

/** BigQuery writes timestamps as `2026-05-01 07:00:00 UTC`. */
function dayOf(text: string | null): string | null {
  return utcDay(text?.trim().replace(/\s+UTC$/i, 'Z') ?? null);
}

export function isVertex(service: string | null): boolean {
  return !!service && /vertex ai|gemini|generative language/i.test(service);
}

export function readGcpSku(_provider: string, sku: string | null) {
  return { name: 'vertex-sku', meaning: sku ? readVertexSku(sku) : null };
}

function quantityOf(r: GcpRow): { value: string | null } | Reject {
  const pairs: [string, string][] = [['usageamountinpricingunits', 'usagepricingunit'], ['usageamount', 'usageunit']];
  for (const [column, unitColumn] of pairs) {
    const text = blankToNull(r.get(column));
    if (text === null) continue;
    const q = parseDecimal(text);
    if (!q) return { field: column === 'usageamount' ? 'usage.amount' : 'usage.amount_in_pricing_units', value: text, reason: 'usage amount is not a number' };
    const factor = unitMultiplier(r.get(unitColumn));
    if (factor) return { value: decimalText(q.times(factor)) };
  }
  return { value: null };
}

/** One export row → its usage line and one line per credit, or the first thing wrong with it. */
export function toGcpLines(r: GcpRow, mapSku: (provider: string, sku: string | null) => MappedSku): CanonicalInvoiceLine[] | Reject {
  const startText = r.get('usagestarttime');
  const day = dayOf(startText);
  if (!day) return { field: 'usage_start_time', value: startText ?? '', reason: 'usage start time is missing or not a timestamp' };
  const costText = r.get('cost');
  const amount = parseDecimal(costText);
  if (!amount) return { field: 'cost', value: costText ?? '', reason: 'cost is missing or not a number' };
  const credits = readCredits(r.credits);
  if (!credits) return { field: 'credits', value: typeof r.credits === 'string' ? r.credits : JSON.stringify(r.credits), reason: 'credits must be a JSON array of {name, amount, type}' };
  const badCredit = credits.find((c) => !parseDecimal(c.amount));
  if (badCredit) return { field: 'credits', value: badCredit.amount ?? '', reason: `credit ${badCredit.name ?? ''} has no numeric amount` };
  const costType = (blankToNull(r.get('costtype')) ?? 'regular').toLowerCase();
  const lineType = COST_TYPES[costType] ?? adjustmentLineType(amount);
  const sku = blankToNull(r.get('skudescription'));
  let mapped: MappedSku | null = null;
  let quantity: string | null = null;
  if (lineType === 'usage') {
    mapped = mapSku(PROVIDER, sku);
    const q = quantityOf(r);
    if ('reason' in q) return q;
    quantity = q.value;
  }
  const month = /^(\d{4})(\d{2})$/.exec(r.get('invoicemonth')?.trim() ?? '');
  const currency = (blankToNull(r.get('currency')) ?? 'USD').toUpperCase();
  // Google's own rate (units of `currency` per USD); kept for src/fx, which uses it only where no
  // recon fx rate exists for the day (docs/currencies.md). A missing or zero rate is just absent.
  const usdRate = currency === 'USD' ? null : parseDecimal(r.get('currencyconversionrate'));
  const base = {
    provider: PROVIDER,
    invoice_id: periodInvoiceId(PROVIDER, month ? `${month[1]}-${month[2]}` : day),
    charge_date: day,
    region: blankToNull(r.get('locationregion')) ?? blankToNull(r.get('locationlocation')),
    currency,
    account_ref: blankToNull(r.get('projectid')) ?? blankToNull(r.get('billingaccountid')),
    usd_conversion_rate: usdRate && usdRate.greaterThan(0) ? decimalText(usdRate) : null,
  };
  const lines: CanonicalInvoiceLine[] = [{
    ...base,
    provider_model: mapped?.provider_model ?? null,
    model: mapped?.model ?? null,
    token_category: mapped?.token_category ?? null,
    service_tier: mapped?.service_tier ?? 'standard',
    quantity,
    amount: decimalText(amount),
    line_type: lineType,
    sku,
    mapping_rule: mapped ? (mapped.service_tier ? mapped.rule : null) : `builtin:gcp-${lineType}`,
  }];
  for (const credit of credits) {
    const type = credit.type?.toUpperCase() ?? '';
    const creditType: LineType = DISCOUNT_CREDITS.has(type) ? 'discount' : 'credit';
    lines.push({
      ...base,
      provider_model: mapped?.provider_model ?? null,
      model: null,
      token_category: null,
      service_tier: 'standard',
      quantity: null,
      amount: decimalText(parseDecimal(credit.amount)!),
      line_type: creditType,
      sku: credit.name ?? sku,
      mapping_rule: `builtin:gcp-${creditType}`,
    });
  }
  return lines;
}

/** Every object of a JSON file: the objects of JSON Lines, of one array, or one object. */
async function* streamObjects(input: Readable): AsyncGenerator<JsonObject> {
  const tokens = parserStream({ jsonStreaming: true, packValues: true, streamValues: false });
  input.on('error', (error) => tokens.destroy(error));
  input.pipe(tokens);
  let depth = 0;
  let inArray = false;
  let builder: ValueBuilder | null = null;
  for await (const token of tokens as AsyncIterable<{ name: string; value?: unknown }>) {
    if (builder) {
      builder.consume(token);
      if (builder.done) {
        const value = builder.value;
        builder = null;
        if (value && typeof value === 'object' && !Array.isArray(value)) yield value;
      }
      continue;
    }
    if (token.name === 'startArray' && depth === 0) {
      inArray = true;
      depth = 1;
    } else if (token.name === 'endArray' && inArray && depth === 1) {
      inArray = false;
      depth = 0;
    } else if (token.name === 'startObject') {
      builder = new ValueBuilder();
      builder.consume(token);
    }
  }
}

function rowsOf(head: string) {
  return /^\s*[[{]/.test(head) ? 'json' : 'csv';
}

export const gcpBillingExport: SourceFormat<CanonicalInvoiceLine> = {
  name: 'gcp-billing-export',
  kind: 'invoice',
  description: 'Google Cloud billing export (BigQuery gcp_billing_export_v1 exported as CSV or JSON); Vertex AI / Gemini rows',
  detect(head) {
    if (rowsOf(head) === 'json') {
      return /"sku"\s*:\s*\{/.test(head) && /"usage_start_time"\s*:/.test(head) && /"cost"\s*:/.test(head) && /"service"\s*:\s*\{/.test(head);
    }
    const columns = new Set(splitHeaderLine(head).map(gcpKey));
    return REQUIRED.every((c) => columns.has(c));
  },
  async *parse(input, context): AsyncGenerator<ParsedRow<CanonicalInvoiceLine>> {
    const mapSku = skuMapper(loadSkuMapping(context.skuMappingFile), readGcpSku);
    const emit = function* (r: GcpRow): Generator<ParsedRow<CanonicalInvoiceLine>> {
      const service = blankToNull(r.get('servicedescription'));
      if (!isVertex(service)) {
        context.onSkipped?.(service ?? '(no service)', blankToNull(r.get('cost')));
        return;
      }
      const lines = toGcpLines(r, mapSku);
      if (Array.isArray(lines)) for (const row of lines) yield { line: r.line, row };
      else yield { line: r.line, reject: { ...lines, raw: r.raw } };
    };
    // The first bytes tell CSV from JSON, as detection did.
    const { head, replay: body } = await peekHead(input);
    if (rowsOf(head) === 'json') {
      let record = 0;
      for await (const object of streamObjects(body)) {
        record += 1;
        const flat = new Map<string, JsonValue>();
        flatten(object, '', flat);
        const get = (key: string) => {
          const v = flat.get(key);
          return typeof v === 'string' ? v : typeof v === 'boolean' ? String(v) : null;
        };
        yield* emit({ line: record, get, credits: flat.get('credits'), raw: JSON.stringify(object) });
      }
      return;
    }
    const validate = (columns: Set<string>) => {
      const missing = REQUIRED.filter((c) => !columns.has(c));
      if (missing.length) throw new Error(`${context.fileName} is not a Google Cloud billing export: missing column(s) ${missing.join(', ')} (service.description, sku.description, usage_start_time, cost)`);
    };
    for await (const r of streamCsv(body, gcpKey, validate)) {
      yield* emit({ line: r.line, get: (k) => r.get(k), credits: r.get('credits') ?? undefined, raw: r.raw });
    }
  },
};
