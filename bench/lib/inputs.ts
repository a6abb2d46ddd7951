// The small input files of the benchmark month: rate card, owners and gateway key map, and
// the planted variance causes the invoice is built with. Pure text builders; no I/O.

export type Category = 'input' | 'cached_input' | 'cache_write_5m' | 'cache_write_1h' | 'output';
export type Tier = 'standard' | 'batch' | 'flex';

export interface CardLine {
  provider: string;
  model: string;
  tier: Tier;
  category: Category;
  /** USD per 1M tokens */
  price: string;
  from: string;
  /** '' = open ended */
  to: string;
}

export const CARD_VERSION = 'bench-month-v1';

/** Mid-month price cut on gpt-4o-mini, so the pricing join has to respect effective dates. */
export function priceChangeAt(period: string): string {
  return `${period}-15T00:00:00Z`;
}

/**
 * Public list prices (USD / 1M tokens) of the models bench/generate-ledger.ts emits. Batch and
 * flex are half of standard, as OpenAI, Anthropic and Google price them.
 */
export function cardLines(period: string): CardLine[] {
  const standard: { provider: string; model: string; prices: Partial<Record<Category, number>>; changeTo?: Partial<Record<Category, number>> }[] = [
    { provider: 'openai', model: 'gpt-4o-2024-08-06', prices: { input: 2.5, cached_input: 1.25, output: 10 } },
    { provider: 'openai', model: 'gpt-4o-mini-2024-07-18', prices: { input: 0.15, cached_input: 0.075, output: 0.6 }, changeTo: { input: 0.12, cached_input: 0.06, output: 0.48 } },
    { provider: 'openai', model: 'o3-2025-04-16', prices: { input: 2, cached_input: 0.5, output: 8 } },
    { provider: 'anthropic', model: 'claude-sonnet-4-5-20250929', prices: { input: 3, cached_input: 0.3, cache_write_5m: 3.75, cache_write_1h: 6, output: 15 } },
    { provider: 'aws.bedrock', model: 'claude-sonnet-4-5-20250929', prices: { input: 3, cached_input: 0.3, cache_write_5m: 3.75, cache_write_1h: 6, output: 15 } },
    { provider: 'gcp.vertex_ai', model: 'gemini-2.5-flash', prices: { input: 0.3, cached_input: 0.03, output: 2.5 } },
  ];
  const change = priceChangeAt(period);
  const lines: CardLine[] = [];
  const fmt = (n: number) => n.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
  for (const m of standard) {
    for (const tier of ['standard', 'batch', 'flex'] as const) {
      const factor = tier === 'standard' ? 1 : 0.5;
      for (const [category, price] of Object.entries(m.prices) as [Category, number][]) {
        const later = m.changeTo?.[category];
        if (later === undefined) {
          lines.push({ provider: m.provider, model: m.model, tier, category, price: fmt(price * factor), from: '2026-01-01T00:00:00Z', to: '' });
        } else {
          lines.push({ provider: m.provider, model: m.model, tier, category, price: fmt(price * factor), from: '2026-01-01T00:00:00Z', to: change });
          lines.push({ provider: m.provider, model: m.model, tier, category, price: fmt(later * factor), from: change, to: '' });
        }
      }
    }
  }
  return lines;
}

export function rateCardCsv(period: string): string {
  const header = 'provider,model,service_tier,token_category,unit_price,effective_from,effective_to,card_version,source';
  const rows = cardLines(period).map((l) => [l.provider, l.model, l.tier, l.category, l.price, l.from, l.to, CARD_VERSION, 'public list prices'].join(','));
  return [header, ...rows].join('\n') + '\n';
}

/** The teams and keys of bench/generate-ledger.ts; its untagged calls fall back to the key owner. */
export function ownersCsv(): string {
  return [
    'team,cost_center,owner,monthly_budget',
    'support,cc-4210,support-lead@example.com,400000.00',
    'sales,cc-5100,sales-ops@example.com,400000.00',
    'agent-platform,cc-6000,agents@example.com,400000.00',
    'search,cc-7000,search@example.com,400000.00',
    'finance-ops,cc-1000,finops@example.com,400000.00',
  ].join('\n') + '\n';
}

export function gatewayKeysCsv(): string {
  return [
    'gateway_key_id,team,service,environment',
    'key-support,support,triage,production',
    'key-sales,sales,copilot,production',
    'key-agent,agent-platform,planner,production',
    'key-search,search,rerank,production',
    'key-finops,finance-ops,close-assistant,production',
  ].join('\n') + '\n';
}

/**
 * The variance causes planted into the month. The invoice is what the providers would bill for
 * the generated traffic, with these differences from the gateway's ledger.
 */
export interface PlantedCauses {
  /** UTC hours [fromHour, toHour) of this day when the gateway's log shipper was down: billed, never logged */
  gap: { day: number; fromHour: number; toHour: number } | null;
  /** every Nth successful anthropic record is a partial stream: the gateway logged 1/divisor of its output, the provider billed it all */
  partial: { provider: string; every: number; divisor: number } | null;
  /** this team's standard-tier traffic on this provider went through the batch API: billed at batch prices */
  batch: { provider: string; team: string } | null;
  /** failed attempts (status error) are logged with their input tokens but not billed */
  failedNotBilled: boolean;
  /** a provider credit on the last day of the month: this share of its usage, in whole dollars (at least $1) */
  credit: { provider: string; share: string } | null;
}

export const PLANTED: PlantedCauses = {
  gap: { day: 12, fromHour: 10, toHour: 14 },
  partial: { provider: 'anthropic', every: 25, divisor: 5 },
  batch: { provider: 'openai', team: 'search' },
  failedNotBilled: true,
  credit: { provider: 'anthropic', share: '0.005' },
};

export function invoiceId(provider: string, period: string): string {
  return `${provider.toUpperCase().replace(/\./g, '-')}-INV-${period}`;
}

export const CAUSE_NAMES = ['gap', 'partial', 'batch', 'retries', 'credit'] as const;
export type CauseName = (typeof CAUSE_NAMES)[number];

/** The planted causes without the named ones (`--without gap,partial`). */
export function plantedWithout(without: readonly CauseName[]): PlantedCauses {
  return {
    gap: without.includes('gap') ? null : PLANTED.gap,
    partial: without.includes('partial') ? null : PLANTED.partial,
    batch: without.includes('batch') ? null : PLANTED.batch,
    failedNotBilled: !without.includes('retries'),
    credit: without.includes('credit') ? null : PLANTED.credit,
  };
}
