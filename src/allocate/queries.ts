import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { periodDays, type Period } from '../period.ts';

type Db = Kysely<Database>;

// Invoice lines of the period from files still loaded (a replaced file's lines no longer count).
const periodLines = (period: Period) => {
  const { first, last } = periodDays(period);
  return sql`
    select il.* from invoice_line il join ingested_file f on f.id = il.ingested_file_id
    where f.status = 'loaded' and il.charge_date >= ${first}::date and il.charge_date <= ${last}::date`;
};

export interface UsageShareRow {
  provider: string;
  invoice_id: string;
  team: string | null;
  cost_center: string | null;
  service: string | null;
  workflow: string | null;
  model: string;
  retry: boolean;
  priced: boolean;
  reconciled: boolean;
  basis: string;
  share: string;
  variance_abs: string;
  unexplained: string;
}

/**
 * Each invoice cell's amount split over the cube rows of that cell by priced cost (by quantity
 * when nothing in the cell was priced), summed to invoice × owner × service × workflow × model.
 * A cell billed on two invoices (two accounts) is split between them by invoice amount.
 */
export async function selectUsageShares(db: Db, runId: string, period: Period): Promise<UsageShareRow[]> {
  const { rows } = await sql<UsageShareRow>`
    with lines as (${periodLines(period)}),
    inv as (
      select provider, invoice_id, model, token_category, service_tier, charge_date as day, sum(amount) as amount
      from lines where line_type = 'usage' and model is not null and token_category is not null
      group by 1, 2, 3, 4, 5, 6
    ),
    inv_cell as (
      select provider, model, token_category, service_tier, day, sum(amount) as amount, count(*) as invoices
      from inv group by 1, 2, 3, 4, 5
    ),
    cube as (
      select provider, model, token_category, service_tier, day, team, cost_center, service, workflow,
             (is_retry or status = 'error') as retry, (unpriced_reason is null) as priced,
             sum(cost) as cost, sum(quantity) as quantity
      from run_cost_cube where run_id = ${runId}::bigint
      group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
    ),
    cell as (
      select provider, model, token_category, service_tier, day, sum(cost) as cost, sum(quantity) as quantity
      from cube group by 1, 2, 3, 4, 5
    ),
    unexplained as (
      select provider, model, token_category, service_tier, day, sum(amount) as amount
      from run_variance_cause
      where run_id = ${runId}::bigint and cause = 'unexplained'
        and model is not null and token_category is not null and service_tier is not null and day is not null
      group by 1, 2, 3, 4, 5
    ),
    split as (
      select i.provider, i.invoice_id, c.team, c.cost_center, c.service, c.workflow, c.model, c.retry, c.priced,
             coalesce(v.status <> 'breach', false) as reconciled,
             case when ic.invoices = 1 then c.cost
                  when ic.amount <> 0 then c.cost * i.amount / ic.amount
                  else c.cost / ic.invoices end as basis,
             case when w.cost > 0 then i.amount * c.cost / w.cost else i.amount * c.quantity / w.quantity end as share,
             case when w.cost > 0 then coalesce(u.amount, 0) * c.cost / w.cost else coalesce(u.amount, 0) * c.quantity / w.quantity end as unexplained_share,
             ic.invoices, ic.amount as cell_amount, i.amount as invoice_amount
      from inv i
      join inv_cell ic using (provider, model, token_category, service_tier, day)
      join cell w using (provider, model, token_category, service_tier, day)
      join cube c using (provider, model, token_category, service_tier, day)
      left join run_variance_cell v
        on v.run_id = ${runId}::bigint and v.provider = i.provider and v.model = i.model
       and v.token_category = i.token_category and v.service_tier = i.service_tier and v.day = i.day
      left join unexplained u using (provider, model, token_category, service_tier, day)
      where w.cost > 0 or w.quantity > 0
    )
    select provider, invoice_id, team, cost_center, service, workflow, model, retry, priced, reconciled,
           sum(basis)::text as basis, sum(share)::text as share,
           sum(abs(share - basis))::text as variance_abs,
           sum(case when invoices = 1 or cell_amount = 0 then unexplained_share / invoices
                    else unexplained_share * invoice_amount / cell_amount end)::text as unexplained
    from split
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
    order by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10`.execute(db);
  return rows;
}

export interface UnmatchedRow {
  provider: string;
  invoice_id: string;
  model: string | null;
  amount: string;
  reason: 'no_ledger_records' | 'unmapped_invoice_line';
}

/** Usage invoice amounts no ledger record explains: cells with no records, and unmapped lines. */
export async function selectUnmatchedInvoiceAmounts(db: Db, runId: string, period: Period): Promise<UnmatchedRow[]> {
  const { rows } = await sql<UnmatchedRow>`
    with lines as (${periodLines(period)}),
    cell as (
      select provider, model, token_category, service_tier, day, sum(cost) as cost, sum(quantity) as quantity
      from run_cost_cube where run_id = ${runId}::bigint group by 1, 2, 3, 4, 5
    )
    select l.provider, l.invoice_id, l.model, sum(l.amount)::text as amount, 'no_ledger_records' as reason
    from lines l
    left join cell w on w.provider = l.provider and w.model = l.model and w.token_category = l.token_category
                    and w.service_tier = l.service_tier and w.day = l.charge_date
    where l.line_type = 'usage' and l.model is not null and l.token_category is not null
      and (w.provider is null or not (w.cost > 0 or w.quantity > 0))
    group by 1, 2, 3
    union all
    select provider, invoice_id, coalesce(model, provider_model, sku), sum(amount)::text, 'unmapped_invoice_line'
    from lines where line_type = 'usage' and (model is null or token_category is null)
    group by 1, 2, 3
    order by 1, 2, 3, 5`.execute(db);
  return rows;
}

export async function selectInvoiceAdjustments(db: Db, period: Period): Promise<{ provider: string; invoice_id: string; line_type: 'discount' | 'credit' | 'tax' | 'fee'; amount: string }[]> {
  const { rows } = await sql<{ provider: string; invoice_id: string; line_type: 'discount' | 'credit' | 'tax' | 'fee'; amount: string }>`
    with lines as (${periodLines(period)})
    select provider, invoice_id, line_type, sum(amount)::text as amount
    from lines where line_type <> 'usage' group by 1, 2, 3 order by 1, 2, 3`.execute(db);
  return rows;
}

export async function selectInvoiceTotals(db: Db, period: Period): Promise<{ provider: string; invoice_id: string; amount: string }[]> {
  const { rows } = await sql<{ provider: string; invoice_id: string; amount: string }>`
    with lines as (${periodLines(period)})
    select provider, invoice_id, sum(amount)::text as amount from lines group by 1, 2 order by 1, 2`.execute(db);
  return rows;
}

export async function selectTeamOwners(db: Db): Promise<{ team: string; cost_center: string | null; owner: string | null; monthly_budget: string | null }[]> {
  const { rows } = await sql<{ team: string; cost_center: string | null; owner: string | null; monthly_budget: string | null }>`
    select team, cost_center, owner, monthly_budget::text from team_owner order by team`.execute(db);
  return rows;
}

/** Per team, the gateway keys its records used that the key map does not know. */
export async function selectKeysWithoutOwner(db: Db, runId: string): Promise<{ team: string; keys: string[] }[]> {
  const { rows } = await sql<{ team: string; keys: string[] }>`
    select c.team, array_agg(distinct c.gateway_key_id order by c.gateway_key_id) as keys
    from run_cost_cube c left join gateway_key_owner k on k.gateway_key_id = c.gateway_key_id
    where c.run_id = ${runId}::bigint and c.team is not null and c.gateway_key_id is not null and k.gateway_key_id is null
    group by c.team order by c.team`.execute(db);
  return rows;
}

export async function selectAcceptedDisputes(db: Db, period: Period): Promise<{ id: string; team: string; amount: string; reason: string }[]> {
  const { rows } = await sql<{ id: string; team: string; amount: string; reason: string }>`
    select id, team, amount::text, reason from dispute
    where period = ${period} and status = 'accepted' and amount is not null
    order by id`.execute(db);
  return rows;
}

export interface AllocationRowText {
  provider: string;
  invoice_id: string;
  team: string;
  cost_center: string | null;
  service: string | null;
  workflow: string | null;
  model: string | null;
  component: string;
  basis: string;
  amount: string;
  rule: string;
}

/** Replaces the run's allocation rows in one statement. */
export async function saveAllocations(db: Db, runId: string, rows: AllocationRowText[]): Promise<void> {
  await sql`delete from run_allocation where run_id = ${runId}::bigint`.execute(db);
  // Chunks keep one statement's JSON parameter modest on very wide allocations.
  for (let i = 0; i < rows.length; i += 5000) {
    const payload = JSON.stringify(rows.slice(i, i + 5000));
    await sql`
      insert into run_allocation (run_id, provider, invoice_id, team, cost_center, service, workflow, model, component, basis, amount, rule)
      select ${runId}::bigint, v.provider, v.invoice_id, v.team, v.cost_center, v.service, v.workflow, v.model, v.component,
             v.basis::numeric, v.amount::numeric, v.rule
      from jsonb_to_recordset(${payload}::jsonb) as v(provider text, invoice_id text, team text, cost_center text, service text,
           workflow text, model text, component text, basis text, amount text, rule text)`.execute(db);
  }
}

export interface TeamSummaryText {
  team: string;
  cost_center: string | null;
  allocated: string;
  priced_cost: string;
  attributable_share: string | null;
  variance_share: string | null;
  untagged_exposure: string;
  unexplained_exposure: string;
  mode: 'showback' | 'chargeback';
  mode_reason: string;
}

export async function saveTeamSummaries(db: Db, runId: string, rows: TeamSummaryText[]): Promise<void> {
  await sql`delete from run_team_summary where run_id = ${runId}::bigint`.execute(db);
  if (rows.length === 0) return;
  const payload = JSON.stringify(rows);
  await sql`
    insert into run_team_summary (run_id, team, cost_center, allocated, priced_cost, attributable_share, variance_share,
      untagged_exposure, unexplained_exposure, mode, mode_reason)
    select ${runId}::bigint, v.team, v.cost_center, v.allocated::numeric, v.priced_cost::numeric, v.attributable_share::numeric,
           v.variance_share::numeric, v.untagged_exposure::numeric, v.unexplained_exposure::numeric, v.mode, v.mode_reason
    from jsonb_to_recordset(${payload}::jsonb) as v(team text, cost_center text, allocated text, priced_cost text,
         attributable_share text, variance_share text, untagged_exposure text, unexplained_exposure text, mode text, mode_reason text)`.execute(db);
}

/** Records the first run that applied each accepted dispute (later runs keep applying it). */
export async function markDisputesApplied(db: Db, runId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await sql`
    update dispute set applied_in_run = ${runId}::bigint
    where id = any(${ids}::bigint[]) and applied_in_run is null`.execute(db);
}
