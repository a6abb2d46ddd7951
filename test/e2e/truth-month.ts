import { Decimal } from '../../src/money.ts';
import { invoiceLine, ledgerRecord, rateCardLine, type InvoiceLineInput, type LedgerRecordInput, type RateCardLineInput } from '../support/builders.ts';

// A month whose every planted fault carries its true amount and its true owner, written the way
// the gateway logs and the providers bill, beside the demo's sample month (issue "Allocation
// follows the evidence"). The truth is computed here, record by record, from the list prices:
// - `cause`: the variance each fault causes (invoice − priced ledger), by cause name;
// - `caused`: who caused each billed dollar: the records an invoice line bills, in proportion to
//   their billed quantity; untagged records to the bucket; the credit pro rata over the teams'
//   OpenAI usage; an attempt never billed costs nothing.
//
// Faults: growth's nightly batch job is logged `standard` and billed at batch rates; research's
// 1-hour cache writes are logged as 5-minute writes; sales' streams break off and log no output
// (usage arrives only in a stream's last chunk) yet are billed in full; research's failed attempts
// (HTTP 529) are logged and priced but never billed; the log shipper is down for six hours on
// the 13th (billed, never logged); 3% of records come untagged through a shared key; OpenAI
// grants a credit.

export const TRUTH_PERIOD = '2026-05';
export const BUCKET = 'platform';

const GPT = 'gpt-4o-2024-08-06';
const SONNET = 'claude-sonnet-4-5-20250929';
type Category = 'input' | 'cached_input' | 'cache_write_5m' | 'cache_write_1h' | 'output';
const PRICES: Record<string, Partial<Record<Category, string>>> = {
  'openai|standard': { input: '2.50', cached_input: '1.25', output: '10.00' },
  'openai|batch': { input: '1.25', cached_input: '0.625', output: '5.00' },
  'anthropic|standard': { input: '3.00', cached_input: '0.30', cache_write_5m: '3.75', cache_write_1h: '6.00', output: '15.00' },
};
const MODEL: Record<string, string> = { openai: GPT, anthropic: SONNET };
const CREDIT = new Decimal('-50.00');
/** The log shipper's outage: billed, never logged. */
const GAP = { from: Date.parse('2026-05-13T08:00:00Z'), to: Date.parse('2026-05-13T14:00:00Z') };

interface Workload {
  team: string | null;
  service: string;
  provider: 'openai' | 'anthropic';
  /** records per hour on a weekday, in these UTC hours */
  perHour: number;
  hours: [number, number];
  input: [number, number];
  output: [number, number];
  cacheRead?: number;
  /** share of input written to a 1-hour cache, logged by the gateway as a 5-minute write */
  cacheWrite1hLoggedAs5m?: number;
  billedBatch?: boolean;
  /** share of requests with one failed attempt before, logged and priced, never billed */
  failedRate?: number;
  /** share of streams that break off: nothing of the output is logged, all of it is billed */
  partialRate?: number;
}

const WORKLOADS: Workload[] = [
  { team: 'support', service: 'ticket-triage', provider: 'openai', perHour: 10, hours: [0, 24], input: [20_000, 40_000], output: [2_000, 5_000], cacheRead: 0.3 },
  { team: 'growth', service: 'nightly-scoring', provider: 'openai', perHour: 8, hours: [0, 6], input: [200_000, 400_000], output: [20_000, 40_000], billedBatch: true },
  { team: 'research', service: 'eval-runner', provider: 'openai', perHour: 5, hours: [0, 24], input: [60_000, 120_000], output: [6_000, 12_000], failedRate: 0.1 },
  { team: 'research', service: 'long-context', provider: 'anthropic', perHour: 4, hours: [0, 24], input: [100_000, 180_000], output: [5_000, 10_000], cacheWrite1hLoggedAs5m: 0.4 },
  { team: 'sales', service: 'proposal-writer', provider: 'anthropic', perHour: 6, hours: [0, 24], input: [50_000, 150_000], output: [10_000, 30_000], cacheRead: 0.3, partialRate: 0.05 },
  { team: 'support', service: 'kb-answers', provider: 'anthropic', perHour: 8, hours: [0, 24], input: [10_000, 30_000], output: [1_000, 3_000] },
  // untagged: a staging service through the shared production key (not in the key map)
  { team: null, service: 'staging-summarizer', provider: 'openai', perHour: 1, hours: [0, 24], input: [30_000, 90_000], output: [3_000, 9_000] },
];

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TruthMonth {
  card: RateCardLineInput[];
  records: LedgerRecordInput[];
  invoice: InvoiceLineInput[];
  invoiceTotal: Decimal;
  /** true variance of each planted fault, by cause name */
  cause: Map<string, Decimal>;
  /** who caused each billed dollar */
  caused: Map<string, Decimal>;
}

const price = (provider: string, tier: string, category: Category) => new Decimal(PRICES[`${provider}|${tier}`]![category]!);
const cost = (provider: string, tier: string, category: Category, quantity: number) => price(provider, tier, category).times(quantity).dividedBy(1_000_000);

export function truthMonth(seed = 20260513): TruthMonth {
  const next = random(seed);
  const between = ([lo, hi]: [number, number]) => Math.floor(lo + next() * (hi - lo));
  const records: LedgerRecordInput[] = [];
  const cause = new Map<string, Decimal>();
  const addCause = (name: string, amount: Decimal) => cause.set(name, (cause.get(name) ?? new Decimal(0)).plus(amount));
  // billed lines: per (provider, tier, category, day) the quantity per owner
  const billed = new Map<string, { provider: string; tier: string; category: Category; day: string; byOwner: Map<string, number> }>();
  const bill = (provider: string, tier: string, category: Category, day: string, owner: string, quantity: number) => {
    if (quantity <= 0) return;
    const key = `${provider}|${tier}|${category}|${day}`;
    const line = billed.get(key) ?? { provider, tier, category, day, byOwner: new Map<string, number>() };
    line.byOwner.set(owner, (line.byOwner.get(owner) ?? 0) + quantity);
    billed.set(key, line);
  };
  let sequence = 0;
  for (let d = 0; d < 31; d++) {
    const dayStart = Date.parse('2026-05-01T00:00:00Z') + d * 86_400_000;
    const day = new Date(dayStart).toISOString().slice(0, 10);
    const weekday = new Date(dayStart).getUTCDay();
    const weekend = weekday === 0 || weekday === 6;
    for (const w of WORKLOADS) {
      for (let hour = w.hours[0]; hour < w.hours[1]; hour++) {
        const count = Math.round(w.perHour * (weekend ? 0.5 : 1) * (0.8 + next() * 0.4));
        for (let i = 0; i < count; i++) {
          const ts = dayStart + hour * 3_600_000 + Math.floor(next() * 3_600_000);
          const inGap = ts >= GAP.from && ts < GAP.to;
          const owner = w.team ?? BUCKET;
          const input = between(w.input);
          const output = between(w.output);
          const cacheRead = Math.floor(input * (w.cacheRead ?? 0) * (0.5 + next()));
          const write1h = Math.floor(input * (w.cacheWrite1hLoggedAs5m ?? 0));
          const uncached = input - cacheRead - write1h;
          const partial = w.partialRate !== undefined && next() < w.partialRate;
          const failed = w.failedRate !== undefined && next() < w.failedRate;
          const id = `t-${(++sequence).toString(36)}`;
          const base = {
            provider: w.provider, response_model: MODEL[w.provider]!, team: w.team, service: w.service, environment: w.team ? 'production' : 'staging',
            gateway_key_id: w.team ? `key-${w.team}` : 'key-prod-shared',
          };
          const loggedTier = 'standard';
          const billedTier = w.billedBatch ? 'batch' : 'standard';
          if (failed && !inGap) {
            // the failed attempt: the gateway logged its input and priced it; the provider billed nothing
            records.push(ledgerRecord({ ...base, request_id: `${id}-a1`, ts: new Date(ts - 2_000).toISOString(), attempt: 1, status: 'error', http_status: 529, input_tokens: input, cache_read_input_tokens: cacheRead, cache_write_5m_input_tokens: write1h, output_tokens: 0 }));
            addCause('retry_billing', cost(w.provider, loggedTier, 'input', uncached).plus(cost(w.provider, loggedTier, 'cached_input', cacheRead)).neg());
          }
          if (!inGap) {
            records.push(ledgerRecord({
              ...base, request_id: failed ? `${id}-a2` : id, original_request_id: failed ? id : null, attempt: failed ? 2 : 1, ts: new Date(ts).toISOString(),
              status: partial ? 'partial' : 'ok', input_tokens: input, cache_read_input_tokens: cacheRead, cache_write_5m_input_tokens: write1h,
              output_tokens: partial ? 0 : output,
            }));
          }
          // what the provider bills for the call
          bill(w.provider, billedTier, 'input', day, owner, uncached);
          bill(w.provider, billedTier, 'cached_input', day, owner, cacheRead);
          bill(w.provider, billedTier, write1h > 0 ? 'cache_write_1h' : 'cache_write_5m', day, owner, write1h);
          bill(w.provider, billedTier, 'output', day, owner, output);
          // and the variance each fault causes against the ledger priced as logged
          const billedCost = cost(w.provider, billedTier, 'input', uncached)
            .plus(cost(w.provider, billedTier, 'cached_input', cacheRead))
            .plus(write1h > 0 ? cost(w.provider, billedTier, 'cache_write_1h', write1h) : 0)
            .plus(cost(w.provider, billedTier, 'output', output));
          if (inGap) {
            addCause('ingestion_gap', billedCost);
            continue;
          }
          if (w.billedBatch) {
            const logged = cost(w.provider, loggedTier, 'input', uncached).plus(cost(w.provider, loggedTier, 'cached_input', cacheRead)).plus(cost(w.provider, loggedTier, 'output', output));
            addCause('batch_tier', billedCost.minus(logged));
          }
          if (write1h > 0) addCause('cache_pricing', cost(w.provider, billedTier, 'cache_write_1h', write1h).minus(cost(w.provider, loggedTier, 'cache_write_5m', write1h)));
          if (partial) addCause('streaming_partial', cost(w.provider, billedTier, 'output', output));
        }
      }
    }
  }

  const invoice: InvoiceLineInput[] = [];
  const caused = new Map<string, Decimal>();
  const charge = (owner: string, amount: Decimal) => caused.set(owner, (caused.get(owner) ?? new Decimal(0)).plus(amount));
  const openaiUsage = new Map<string, Decimal>();
  let invoiceTotal = new Decimal(0);
  let rounding = new Decimal(0);
  for (const line of [...billed.values()].sort((a, b) => `${a.provider}|${a.day}|${a.tier}|${a.category}`.localeCompare(`${b.provider}|${b.day}|${b.tier}|${b.category}`))) {
    const quantity = [...line.byOwner.values()].reduce((a, b) => a + b, 0);
    const exact = cost(line.provider, line.tier, line.category, quantity);
    const amount = exact.toDecimalPlaces(2);
    rounding = rounding.plus(amount.minus(exact));
    invoiceTotal = invoiceTotal.plus(amount);
    invoice.push(invoiceLine({
      provider: line.provider, invoice_id: `INV-${line.provider}`, charge_date: line.day, provider_model: MODEL[line.provider]!, model: MODEL[line.provider]!,
      token_category: line.category, service_tier: line.tier, quantity: String(quantity), amount: amount.toFixed(2),
    }));
    for (const [owner, q] of line.byOwner) {
      const share = amount.times(q).dividedBy(quantity);
      charge(owner, share);
      if (line.provider === 'openai') openaiUsage.set(owner, (openaiUsage.get(owner) ?? new Decimal(0)).plus(share));
    }
  }
  invoice.push(invoiceLine({ provider: 'openai', invoice_id: 'INV-openai', charge_date: '2026-05-31', provider_model: null, model: null, token_category: null, quantity: null, amount: CREDIT.toFixed(2), line_type: 'credit' }));
  invoiceTotal = invoiceTotal.plus(CREDIT);
  addCause('invoice_discount', CREDIT);
  addCause('rounding', rounding);
  const openaiTotal = [...openaiUsage.values()].reduce((a, b) => a.plus(b), new Decimal(0));
  for (const [owner, usage] of openaiUsage) charge(owner, CREDIT.times(usage).dividedBy(openaiTotal));

  const card = Object.entries(PRICES).flatMap(([key, prices]) => {
    const [provider, tier] = key.split('|') as [string, 'standard' | 'batch'];
    return Object.entries(prices).map(([category, unit]) =>
      rateCardLine({ provider, model: MODEL[provider]!, service_tier: tier, token_category: category as Category, unit_price: unit! }),
    );
  });
  return { card, records, invoice, invoiceTotal, cause, caused };
}
