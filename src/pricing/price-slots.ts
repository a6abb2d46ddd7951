import { sql, type RawBuilder } from 'kysely';
import { BEDROCK_GEO_PREFIXES, CARD_CATEGORIES, PER_TOKEN } from '../vocabulary.ts';

const perToken = sql.raw(PER_TOKEN);

// The one price rule, in SQL. Every consumer that prices ledger records — the run (queries.ts),
// the evidence audit (src/audit) and the dispute workbook's Top requests (src/workbooks) — cuts the
// card into the same slots and matches a record to a slot with the same join, so the same record
// costs the same everywhere. src/pricing/rules.ts is the per-record oracle of the same rule; a
// property test (test/pricing/one-price-rule.db.test.ts) ties every consumer to it.

/** Card categories, each a column triple (price, line id, version id) of a slot. */
export const SLOT_CATEGORIES = CARD_CATEGORIES;

/**
 * The card lines in effect during [start, end), each under the name it prices:
 * - the name as written (in its provider spelling, see model_spelling): a name the card prices
 *   itself is priced with its own lines, never redirected by an alias;
 * - and, where an alias in effect maps that name to a canonical model, that model too, for the
 *   overlap of the line and the alias (`via_alias`): a card written with the undated names of a
 *   pricing page prices the dated snapshots the ledger and the invoices resolve to. A line written
 *   for the canonical name itself wins over one that reaches it through an alias.
 */
export function cardLinesByPriceName(start: string, end: string): RawBuilder<unknown> {
  return sql`
    with written as (
      select id as line_id, card_version_id, provider, model_spelling(provider, model) as model, service_tier, token_category,
             region, min_input_tokens, unit_price, effective_from, effective_to
      from rate_card_line
      where retired_by_version_id is null
        and effective_from < ${end}::timestamptz and coalesce(effective_to, 'infinity') > ${start}::timestamptz
    )
    select w.*, false as via_alias from written w
    union all
    select w.line_id, w.card_version_id, w.provider, a.model, w.service_tier, w.token_category, w.region, w.min_input_tokens, w.unit_price,
           greatest(w.effective_from, a.effective_from),
           nullif(least(coalesce(w.effective_to, 'infinity'), coalesce(a.effective_to, 'infinity')), 'infinity'),
           true
    from written w
    join model_alias a on a.provider = w.provider and a.alias = w.model and a.model <> w.model
     and a.effective_from < coalesce(w.effective_to, 'infinity') and coalesce(a.effective_to, 'infinity') > w.effective_from`;
}

/**
 * The price slots of [start, end): per (provider, price name, tier) the time is cut at every line
 * boundary, and each (segment, region, long-context band) gets the one line per category that
 * prices it, side by side. Which line: the slot's own region over the every-region line, then the
 * highest long-context threshold at or below the band, then a line written for the name over one
 * reached through an alias, then the newest version and line (deterministic).
 * Columns: slot_id, provider, model, service_tier, region, band_lo, band_hi, valid_from, valid_to,
 * and <category>_price, <category>_line_id, <category>_version_id for every SLOT_CATEGORIES.
 */
export function priceSlots(start: string, end: string): RawBuilder<unknown> {
  const pick = (category: string) => sql.raw(
    `max(unit_price) filter (where token_category = '${category}') as ${category}_price, ` +
      `max(line_id) filter (where token_category = '${category}') as ${category}_line_id, ` +
      `max(card_version_id) filter (where token_category = '${category}') as ${category}_version_id`,
  );
  return sql`
    with l as materialized (${cardLinesByPriceName(start, end)}),
    bounds as (
      select provider, model, service_tier, greatest(effective_from, ${start}::timestamptz) as b from l
      union
      select provider, model, service_tier, least(coalesce(effective_to, 'infinity'), ${end}::timestamptz) from l
    ),
    segments as (
      select provider, model, service_tier, b as valid_from,
             lead(b) over (partition by provider, model, service_tier order by b) as valid_to
      from bounds
    ),
    regions as (
      select provider, model, service_tier, region from l
      union
      select provider, model, service_tier, '' from l
    ),
    thresholds as (
      select provider, model, service_tier, min_input_tokens as t from l
      union
      select provider, model, service_tier, 0 from l
    ),
    bands as (
      -- a long-context line applies above its threshold (band_lo < input tokens <= band_hi)
      select provider, model, service_tier, case when t = 0 then -1 else t end as band_lo,
             coalesce(lead(t) over (partition by provider, model, service_tier order by t), 9223372036854775807) as band_hi
      from thresholds
    ),
    slots as (
      select s.provider, s.model, s.service_tier, r.region, b.band_lo, b.band_hi, s.valid_from, s.valid_to
      from segments s
      join regions r on (r.provider, r.model, r.service_tier) = (s.provider, s.model, s.service_tier)
      join bands b on (b.provider, b.model, b.service_tier) = (s.provider, s.model, s.service_tier)
      where s.valid_to is not null
    ),
    picked as (
      select distinct on (s.provider, s.model, s.service_tier, s.region, s.band_lo, s.valid_from, l.token_category)
             s.*, l.token_category, l.unit_price, l.line_id, l.card_version_id
      from slots s
      join l on l.provider = s.provider and l.model = s.model and l.service_tier = s.service_tier
            and (l.region = s.region or l.region = '')
            and l.min_input_tokens <= greatest(s.band_lo, 0)
            and l.effective_from <= s.valid_from and coalesce(l.effective_to, 'infinity') >= s.valid_to
      order by s.provider, s.model, s.service_tier, s.region, s.band_lo, s.valid_from, l.token_category,
               (l.region = s.region) desc, l.min_input_tokens desc, l.via_alias, l.card_version_id desc, l.line_id desc
    )
    select (row_number() over (order by provider, model, service_tier, region, band_lo, valid_from))::int as slot_id,
           provider, model, service_tier, region, band_lo, band_hi, valid_from, valid_to,
           ${sql.join(SLOT_CATEGORIES.map(pick))}
    from picked
    group by provider, model, service_tier, region, band_lo, band_hi, valid_from, valid_to`;
}

/** The region a record is priced in (rules.pricingRegion): a Bedrock geo prefix, else the record's region. */
export function pricingRegionSql(provider: RawBuilder<unknown>, responseModel: RawBuilder<unknown>, region: RawBuilder<unknown>): RawBuilder<string> {
  const geo = `^(${BEDROCK_GEO_PREFIXES.join('|')})\\.[a-z0-9-]+\\.`;
  return sql<string>`case when ${provider} = 'aws.bedrock' and ${responseModel} ~ ${geo} then split_part(${responseModel}, '.', 1) else coalesce(${region}, '') end`;
}

export interface SlotMatchInput {
  /** the relation holding the slots (run_price_card, or a CTE of priceSlots) */
  slots: RawBuilder<unknown>;
  /** extra condition on a slot row (given its alias), e.g. its run id */
  where?: (slot: RawBuilder<unknown>) => RawBuilder<unknown>;
  provider: RawBuilder<unknown>;
  /** the name as the record wrote it (response model) */
  writtenModel: RawBuilder<unknown>;
  /** its canonical model (resolve_model) */
  canonicalModel: RawBuilder<unknown>;
  serviceTier: RawBuilder<unknown>;
  /** pricingRegionSql of the record */
  region: RawBuilder<unknown>;
  at: RawBuilder<unknown>;
  inputTokens: RawBuilder<unknown>;
}

/**
 * The joins that find the one slot pricing a record, and its `slot_id` expression (null = none):
 * the lines written for the name the record used when the card has any for its tier at that time,
 * else its canonical model's; in each, the record's region when the card has lines for it, else
 * the every-region slot; then the long-context band its input falls in. Four equality joins (hash
 * joins over a month of record groups) rather than one ordered lookup per record.
 */
export function slotOfRecord(m: SlotMatchInput, prefix: string): { joins: RawBuilder<unknown>; slotId: RawBuilder<string> } {
  const where = m.where ?? (() => sql`true`);
  const written = sql`model_spelling(${m.provider}, ${m.writtenModel})`;
  const join = (alias: string, model: RawBuilder<unknown>, regional: boolean) => {
    const s = sql.raw(`${prefix}_${alias}`);
    const region = regional ? sql`${s}.region = ${m.region} and ${s}.region <> ''` : sql`${s}.region = ''`;
    return sql`left join ${m.slots} ${s}
      on ${where(s)} and ${s}.provider = ${m.provider} and ${s}.model = ${model} and ${s}.service_tier = ${m.serviceTier}
     and ${region}
     and ${m.at} >= ${s}.valid_from and ${m.at} < ${s}.valid_to and ${m.inputTokens} > ${s}.band_lo and ${m.inputTokens} <= ${s}.band_hi`;
  };
  const id = (alias: string) => sql.raw(`${prefix}_${alias}.slot_id`);
  return {
    joins: sql.join([join('wr', written, true), join('wg', written, false), join('cr', m.canonicalModel, true), join('cg', m.canonicalModel, false)], sql` `),
    slotId: sql<string>`coalesce(${id('wr')}, ${id('wg')}, ${id('cr')}, ${id('cg')})`,
  };
}

/**
 * Cost of `quantity` tokens of one category at a slot's price (USD per 1M tokens; the factor is
 * exact). Output carries its reasoning part at the reasoning price when the slot has one.
 */
export function categoryCostSql(
  category: 'input' | 'cached_input' | 'cache_write_5m' | 'cache_write_1h' | 'output' | 'request',
  slot: string,
  quantity: RawBuilder<unknown>,
  reasoning?: RawBuilder<unknown>,
): RawBuilder<string> {
  const p = (c: string) => sql.raw(`${slot}.${c}_price`);
  if (category === 'request') return sql<string>`${quantity} * coalesce(${p('request')}, 0)`;
  if (category === 'output' && reasoning) {
    return sql<string>`case when ${p('reasoning_output')} is null then ${quantity} * ${p('output')} * ${perToken}
      else (${quantity} - ${reasoning}) * ${p('output')} * ${perToken} + ${reasoning} * ${p('reasoning_output')} * ${perToken} end`;
  }
  return sql<string>`${quantity} * ${p(category)} * ${perToken}`;
}
