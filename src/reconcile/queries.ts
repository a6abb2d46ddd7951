import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Period } from '../period.ts';
import { periodDays } from '../period.ts';
import { canonicalModelOnDaySql } from '../pricing/model-names.ts';
import { cellStatusSql, type ToleranceRule } from './tolerance.ts';
import { fileCounts } from '../ingest/files-that-count.ts';
import { PER_TOKEN } from '../vocabulary.ts';
import { baseCardPriceOnDay } from '../pricing/card-bounds.ts';

const perToken = sql.raw(PER_TOKEN);

type Db = Kysely<Database>;

/**
 * Writes run_variance_cell for a run in one statement: invoice usage lines of the period (from
 * loaded files, mapped to a model and token category) full-outer-joined with the run's priced
 * ledger on provider × model × token category × tier × day, so no line and no cube row falls out.
 *
 * card_unit_price (USD per token, or per request) is the price the ledger was priced at (its
 * cost over its priced quantity); for a cell with no priced ledger, the rate card line in effect
 * that day. price_effect = Ai − Qi·p; volume_effect = (Ai − Al) − price_effect = Qi·p − Al, i.e.
 * (Qi − Ql)·p when the whole ledger quantity is priced at p, and the two add up to the variance
 * exactly. Without any price p the whole variance is volume.
 */
export async function insertVarianceCells(db: Db, input: { runId: string; period: Period; tolerances: ToleranceRule[] }): Promise<number> {
  const { first, last } = periodDays(input.period);
  const fallback = input.tolerances.find((t) => t.provider === null);
  if (!fallback) throw new Error('tolerance rules need a default (provider null)');
  const providerRules = input.tolerances.filter((t) => t.provider !== null);
  const rules = providerRules.length > 0 ? sql`values ${sql.join(providerRules.map((t) => sql`(${t.provider}::text, ${t.percent}::numeric, ${t.amount}::numeric)`))}` : sql`select null::text, null::numeric, null::numeric where false`;
  const invoiceModel = canonicalModelOnDaySql(sql`i.provider`, sql`i.model`, sql`i.charge_date`);
  const result = await sql`
    with rules (provider, pct, amt) as (${rules}),
    inv as (
      select i.provider, ${invoiceModel} as model, i.token_category, i.service_tier, i.charge_date as day,
             coalesce(sum(i.quantity), 0) as q, sum(i.amount) as a, array_agg(i.id order by i.id) as ids
      from invoice_line i
      join ingested_file f on f.id = i.ingested_file_id and ${fileCounts('f')}
      where i.line_type = 'usage' and i.model is not null and i.token_category is not null
        and i.charge_date between ${first}::date and ${last}::date
      group by 1, 2, 3, 4, 5
    ),
    led as (
      select provider, model, token_category, service_tier, day,
             sum(quantity) as q, sum(cost) as a,
             coalesce(sum(quantity) filter (where unpriced_reason is null), 0) as qp
      from run_cost_cube
      where run_id = ${input.runId}::bigint
      group by 1, 2, 3, 4, 5
    ),
    cells as (
      select coalesce(inv.provider, led.provider) as provider, coalesce(inv.model, led.model) as model,
             coalesce(inv.token_category, led.token_category) as token_category,
             coalesce(inv.service_tier, led.service_tier) as service_tier, coalesce(inv.day, led.day) as day,
             coalesce(inv.q, 0) as qi, coalesce(inv.a, 0) as ai, coalesce(led.q, 0) as ql, coalesce(led.a, 0) as al,
             coalesce(led.qp, 0) as qp, coalesce(inv.ids, '{}') as ids
      from inv
      full outer join led on led.provider = inv.provider and led.model = inv.model and led.token_category = inv.token_category
                         and led.service_tier = inv.service_tier and led.day = inv.day
    ),
    priced as (
      select c.*,
             case when c.qp > 0 then c.al / c.qp
                  else card.unit_price * (case when c.token_category = 'request' then 1 else ${perToken} end) end as p
      from cells c
      left join lateral (${baseCardPriceOnDay('c')}) card on true
    ),
    effects as (
      select pr.*, pr.ai - pr.al as variance,
             case when pr.p is null then 0 else pr.ai - pr.qi * pr.p end as price_effect,
             coalesce(r.pct, ${fallback.percent}::numeric) as pct, coalesce(r.amt, ${fallback.amount}::numeric) as amt
      from priced pr left join rules r on r.provider = pr.provider
    )
    insert into run_variance_cell (run_id, provider, model, token_category, service_tier, day,
      invoice_quantity, invoice_amount, ledger_quantity, ledger_amount, card_unit_price,
      volume_effect, price_effect, variance_amount, variance_pct, quantity_variance, status, invoice_line_ids)
    select ${input.runId}::bigint, provider, model, token_category, service_tier, day,
      qi, ai, ql, al, p,
      variance - price_effect, price_effect, variance,
      case when ai = 0 then null else round(variance / ai * 100, 6) end,
      qi - ql,
      ${cellStatusSql(sql.ref('variance'), sql.ref('ai'), sql.ref('amt'), sql.ref('pct'))},
      ids
    from effects`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

/**
 * Invoice usage and priced ledger of a run per day (from its variance cells; invoice lines
 * that belong to no cell, such as credits and tax, are not in any day).
 */
export async function selectDailyVariance(db: Db, runId: string): Promise<{ day: string; invoice: string; ledger: string; variance: string }[]> {
  const { rows } = await sql<{ day: string; invoice: string; ledger: string; variance: string }>`
    select day::text as day, sum(invoice_amount)::text as invoice, sum(ledger_amount)::text as ledger,
           sum(variance_amount)::text as variance
    from run_variance_cell where run_id = ${runId}::bigint
    group by day order by day`.execute(db);
  return rows;
}
