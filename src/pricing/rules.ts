import { Decimal, ZERO } from '../money.ts';
import { BEDROCK_GEO_PREFIXES, COST_CATEGORIES, PER_TOKEN as PER_TOKEN_TEXT, SERVICE_TIERS, type CardCategory, type CostCategory, type UnpricedReason } from '../vocabulary.ts';

// The pricing rules of one record, as plain functions over plain data. The set-based SQL in
// queries.ts does the same for a whole month; a db test checks both agree on random records.

export { BEDROCK_GEO_PREFIXES, CARD_CATEGORIES, COST_CATEGORIES, SERVICE_TIERS, UNPRICED_REASONS } from '../vocabulary.ts';
export type { CardCategory, CostCategory, ServiceTier, UnpricedReason } from '../vocabulary.ts';

/** unit_price is USD per 1M tokens; exact multiplication keeps every digit (no division). */
export const PER_TOKEN = new Decimal(PER_TOKEN_TEXT);

export interface CardLine {
  id: string;
  card_version_id: string;
  provider: string;
  model: string;
  service_tier: string;
  token_category: CardCategory;
  region: string;
  min_input_tokens: string;
  unit_price: string;
  effective_from: Date;
  effective_to: Date | null;
}

export interface RecordToPrice {
  ts: Date;
  provider: string;
  /** canonical model (alias already applied) */
  model: string;
  /** the name the provider answered with, before aliasing (Bedrock geo prefix decides the region) */
  response_model: string;
  service_tier: string;
  region: string | null;
  input_tokens: string;
  output_tokens: string;
  cache_read_input_tokens: string;
  cache_write_5m_input_tokens: string;
  cache_write_1h_input_tokens: string;
  reasoning_output_tokens: string;
}

export interface PricedCategory {
  category: CostCategory;
  quantity: Decimal;
  unit_price: string | null;
  cost: Decimal;
  line_id: string | null;
  card_version_id: string | null;
  unpriced_reason: UnpricedReason | null;
}

export interface PricedRecord {
  /** reason the whole record could not be priced, or null */
  unpriced_reason: UnpricedReason | null;
  categories: PricedCategory[];
  cost: Decimal;
}

const BEDROCK_GEO = new RegExp(`^(${BEDROCK_GEO_PREFIXES.join('|')})\\.[a-z0-9-]+\\.`);

/**
 * The region a record is priced in: a Bedrock cross-region inference profile (`us.anthropic...`)
 * carries its own price, so its geo prefix wins; otherwise the record's region ('' = none).
 */
export function pricingRegion(provider: string, responseModel: string, region: string | null): string {
  if (provider === 'aws.bedrock') {
    const geo = BEDROCK_GEO.exec(responseModel);
    if (geo) return geo[1]!;
  }
  return region ?? '';
}

export function uncachedInput(r: Pick<RecordToPrice, 'input_tokens' | 'cache_read_input_tokens' | 'cache_write_5m_input_tokens' | 'cache_write_1h_input_tokens'>): Decimal {
  return new Decimal(r.input_tokens).minus(r.cache_read_input_tokens).minus(r.cache_write_5m_input_tokens).minus(r.cache_write_1h_input_tokens);
}

const inEffect = (line: CardLine, at: Date) =>
  line.effective_from.getTime() <= at.getTime() && (line.effective_to === null || at.getTime() < line.effective_to.getTime());

/**
 * The line pricing `category` for a record: in effect at its time, for its region when the card
 * has lines for that region (else the all-regions line), and the highest long-context tier the
 * record's input exceeds (a request above the threshold pays that tier for all its tokens).
 */
function pickLine(candidates: PricedLine[], category: CardCategory, region: string, input: Decimal): PricedLine | undefined {
  let best: PricedLine | undefined;
  for (const line of candidates) {
    if (line.token_category !== category) continue;
    if (line.region !== region && line.region !== '') continue;
    const threshold = new Decimal(line.min_input_tokens);
    if (!threshold.isZero() && !input.greaterThan(threshold)) continue;
    if (!best) {
      best = line;
      continue;
    }
    const bestSpecific = best.region !== '' ? 1 : 0;
    const specific = line.region !== '' ? 1 : 0;
    if (specific !== bestSpecific) {
      if (specific > bestSpecific) best = line;
      continue;
    }
    if (!threshold.equals(best.min_input_tokens)) {
      if (threshold.greaterThan(best.min_input_tokens)) best = line;
      continue;
    }
    // a line written for the name over one reached through an alias, then the newest version and line
    if (line.via_alias !== best.via_alias) {
      if (!line.via_alias) best = line;
      continue;
    }
    if (BigInt(line.card_version_id) !== BigInt(best.card_version_id)) {
      if (BigInt(line.card_version_id) > BigInt(best.card_version_id)) best = line;
      continue;
    }
    if (BigInt(line.id) > BigInt(best.id)) best = line;
  }
  return best;
}

/** An effective-dated alias: `alias` under `provider` means `model` in [effective_from, effective_to). */
export interface AliasLine {
  provider: string;
  alias: string;
  model: string;
  effective_from: Date;
  effective_to: Date | null;
}

/** How a provider spells a snapshot before aliases apply (SQL: model_spelling, migration 0302). */
export function modelSpelling(provider: string, name: string): string {
  if (provider === 'gcp.vertex_ai' && /@[0-9]{8}$/.test(name)) return name.replace(/(-v[0-9]+)?@([0-9]{8})$/, '-$2');
  return name;
}

const aliasInEffect = (a: AliasLine, at: Date) =>
  a.effective_from.getTime() <= at.getTime() && (a.effective_to === null || at.getTime() < a.effective_to.getTime());

/** The canonical model of a name at an instant (SQL: resolve_model). */
export function canonicalModel(provider: string, name: string, at: Date, aliases: readonly AliasLine[]): string {
  const spelled = modelSpelling(provider, name);
  const hit = aliases
    .filter((a) => a.provider === provider && a.alias === spelled && aliasInEffect(a, at))
    .sort((x, y) => y.effective_from.getTime() - x.effective_from.getTime())[0];
  return hit?.model ?? spelled;
}

/** A card line under the name it prices (price-slots.ts cardLinesByPriceName). */
interface PricedLine extends CardLine {
  via_alias: boolean;
}

/** Lines under their own (spelled) name, plus under the canonical model an alias maps that name to, for the overlap. */
function linesByPriceName(lines: readonly CardLine[], aliases: readonly AliasLine[]): PricedLine[] {
  const out: PricedLine[] = [];
  for (const line of lines) {
    const model = modelSpelling(line.provider, line.model);
    out.push({ ...line, model, via_alias: false });
    for (const a of aliases) {
      if (a.provider !== line.provider || a.alias !== model || a.model === model) continue;
      const from = Math.max(line.effective_from.getTime(), a.effective_from.getTime());
      const to = Math.min(line.effective_to?.getTime() ?? Infinity, a.effective_to?.getTime() ?? Infinity);
      if (from >= to) continue;
      out.push({ ...line, model: a.model, effective_from: new Date(from), effective_to: to === Infinity ? null : new Date(to), via_alias: true });
    }
  }
  return out;
}

/**
 * Prices one record against the card lines (retired lines already left out): the lines written
 * for the name the record used when the card has any for its tier at its time, else those of its
 * canonical model (written for it, or reached through an alias).
 */
export function priceRecord(record: RecordToPrice, cardLines: readonly CardLine[], aliases: readonly AliasLine[] = []): PricedRecord {
  const lines = linesByPriceName(cardLines, aliases);
  const input = new Decimal(record.input_tokens);
  const uncached = uncachedInput(record);
  const output = new Decimal(record.output_tokens);
  const reasoning = new Decimal(record.reasoning_output_tokens);
  const quantities: Record<CostCategory, Decimal> = {
    input: uncached,
    cached_input: new Decimal(record.cache_read_input_tokens),
    cache_write_5m: new Decimal(record.cache_write_5m_input_tokens),
    cache_write_1h: new Decimal(record.cache_write_1h_input_tokens),
    output,
    request: new Decimal(1),
  };

  let recordReason: UnpricedReason | null = null;
  const written = modelSpelling(record.provider, record.response_model);
  const forTierNow = (name: string) =>
    lines.filter((l) => l.provider === record.provider && l.model === name && l.service_tier === record.service_tier && inEffect(l, record.ts));
  const priceName = forTierNow(written).length > 0 ? written : record.model;
  const region = pricingRegion(record.provider, record.response_model, record.region);
  const candidates = forTierNow(priceName).filter((l) => l.region === region || l.region === '');
  const cardKnowsModel = cardLines.some(
    (l) => l.provider === record.provider && (l.model === record.model || canonicalModel(l.provider, l.model, l.effective_from, aliases) === record.model),
  );
  if (!(SERVICE_TIERS as readonly string[]).includes(record.service_tier)) recordReason = 'unknown_tier';
  else if (uncached.isNegative()) recordReason = 'negative_uncached_input';
  else if (candidates.length === 0 && forTierNow(priceName).length === 0) recordReason = cardKnowsModel ? 'no_card_in_effect' : 'no_card_for_model';

  const categories: PricedCategory[] = [];
  for (const category of COST_CATEGORIES) {
    const quantity = quantities[category];
    if (category !== 'request' && !quantity.greaterThan(0)) continue;
    if (recordReason) {
      categories.push({ category, quantity, unit_price: null, cost: ZERO, line_id: null, card_version_id: null, unpriced_reason: recordReason });
      continue;
    }
    const line = pickLine(candidates, category, region, input);
    if (category === 'request') {
      // Every record has a request row; a card without a per-call fee costs 0 per call.
      categories.push({
        category,
        quantity,
        unit_price: line?.unit_price ?? null,
        cost: line ? new Decimal(line.unit_price) : ZERO,
        line_id: line?.id ?? null,
        card_version_id: line?.card_version_id ?? requestVersion(candidates, region, input),
        unpriced_reason: null,
      });
      continue;
    }
    if (!line) {
      categories.push({ category, quantity, unit_price: null, cost: ZERO, line_id: null, card_version_id: null, unpriced_reason: 'no_price_for_category' });
      continue;
    }
    let cost = quantity.times(line.unit_price).times(PER_TOKEN);
    if (category === 'output') {
      const reasoningLine = pickLine(candidates, 'reasoning_output', region, input);
      if (reasoningLine) {
        cost = output.minus(reasoning).times(line.unit_price).times(PER_TOKEN).plus(reasoning.times(reasoningLine.unit_price).times(PER_TOKEN));
      }
    }
    categories.push({ category, quantity, unit_price: line.unit_price, cost, line_id: line.id, card_version_id: line.card_version_id, unpriced_reason: null });
  }
  const cost = categories.reduce((total, c) => total.plus(c.cost), ZERO);
  return { unpriced_reason: recordReason, categories, cost };
}

/** The version a record's request row shows when the card has no per-call fee: its input line's, else output's. */
function requestVersion(candidates: PricedLine[], region: string, input: Decimal): string | null {
  return pickLine(candidates, 'input', region, input)?.card_version_id ?? pickLine(candidates, 'output', region, input)?.card_version_id ?? null;
}
