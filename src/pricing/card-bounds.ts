import { sql, type RawBuilder } from 'kysely';

// Where the cards and aliases in effect change, as SQL fragments for the modules that cut the
// ledger at those changes (the roll-up at ingest, the evidence audit) or need a card price
// without a priced record (a variance cell with no ledger). Pricing owns rate_card_line and
// model_alias (test/ownership.test.ts); these fragments are how others read them.

/** SQL rows `(t bigint)`: the long-context thresholds of the card lines in effect (a band starts above each). */
export function cardLongContextThresholds(): RawBuilder<{ t: string }> {
  return sql`select distinct min_input_tokens as t from rate_card_line where retired_by_version_id is null and min_input_tokens > 0`;
}

/** SQL rows `(b timestamptz)`: every instant a card line in effect or an alias starts or stops applying. */
export function cardAndAliasTimeBounds(): RawBuilder<{ b: Date }> {
  return sql`select effective_from as b from rate_card_line where retired_by_version_id is null
             union select effective_to from rate_card_line where retired_by_version_id is null
             union select effective_from from model_alias
             union select effective_to from model_alias`;
}

/**
 * SQL rows `(provider, alias, model, valid_from, valid_to)`: the aliases in effect during
 * [from, to), each clipped to it.
 */
export function aliasesInEffect(from: string, to: string): RawBuilder<{ provider: string; alias: string; model: string; valid_from: Date; valid_to: Date }> {
  return sql`
      select provider, alias, model,
             greatest(effective_from, ${from}::timestamptz) as valid_from,
             least(coalesce(effective_to, 'infinity'), ${to}::timestamptz) as valid_to
      from model_alias
      where effective_from < ${to}::timestamptz and coalesce(effective_to, 'infinity') > ${from}::timestamptz`;
}

/**
 * A LATERAL subquery `(unit_price)`: the base card price (no region, base long-context band) in
 * effect at 00:00 UTC of `cell`.day for the cell's provider, model, tier and category.
 */
export function baseCardPriceOnDay(cell: string): RawBuilder<{ unit_price: string }> {
  const c = (column: string) => sql.ref(`${cell}.${column}`);
  return sql`
        select l.unit_price from rate_card_line l
        where l.provider = ${c('provider')} and l.model = ${c('model')} and l.service_tier = ${c('service_tier')}
          and l.token_category = ${c('token_category')} and l.region = '' and l.min_input_tokens = 0
          and l.retired_by_version_id is null
          and l.effective_from <= (${c('day')}::timestamp at time zone 'UTC')
          and (l.effective_to is null or l.effective_to > (${c('day')}::timestamp at time zone 'UTC'))
        order by l.effective_from desc, l.id desc
        limit 1`;
}
