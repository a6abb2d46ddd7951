import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { periodDays, type Period } from '../period.ts';
import { canonicalModelOnDaySql } from '../pricing/model-names.ts';
import type { AllocationPolicy } from './policy.ts';
import { fileCounts } from '../ingest/files-that-count.ts';
import { commitmentLinesSql } from '../commitments/queries.ts';
import { HASH_JOIN_SETTINGS, withPlannerSettings } from '../db/planner-settings.ts';
import { invoiceLinesOfRun } from '../fx/queries.ts';

type Db = Kysely<Database>;

// Invoice lines of the period from files still loaded (a replaced file's lines no longer count),
// each model resolved to its canonical name on the line's day exactly as the variance stage does
// (src/pricing/model-names.ts): an invoice that names `gpt-4.1` meets the ledger's
// `gpt-4.1-2025-04-14` in the same cell, instead of falling to the bucket as unmatched.
// `amount` is the line's amount in the run's reporting currency (src/fx), `currency` that currency.
// `fileIds`: the invoice files a stored run recorded (its workbook reads what it read); null: the
// files that count now (a new run).
const periodLines = (runId: string, period: Period, fileIds: readonly string[] | null = null) => {
  const { first, last } = periodDays(period);
  const counts = fileIds === null ? fileCounts('f') : sql`il.ingested_file_id = any(${[...fileIds]}::bigint[])`;
  return sql`
    select il.id, il.ingested_file_id, il.source_line, il.provider, il.invoice_id, il.charge_date, il.provider_model,
           case when il.model is null then null else ${canonicalModelOnDaySql(sql`il.provider`, sql`il.model`, sql`il.charge_date`)} end as model,
           il.token_category, il.service_tier, il.region, il.quantity, il.reporting_amount as amount, il.reporting_currency as currency, il.line_type, il.sku, il.mapping_rule, il.account_ref
    from ${invoiceLinesOfRun(runId)} il join ingested_file f on f.id = il.ingested_file_id
    where ${counts} and il.charge_date >= ${first}::date and il.charge_date <= ${last}::date`;
};

// The period's lines less the flat lines a commitment bills under: those are allocated by the
// commitment's hours (src/commitments), not as fees or unmatched amounts.
const uncommittedLines = (runId: string, period: Period, fileIds: readonly string[] | null = null) => sql`
  select l.* from (${periodLines(runId, period, fileIds)}) l
  where not exists (select 1 from (${commitmentLinesSql(period)}) m where m.line_id = l.id)`;

/**
 * The run's priced ledger as the allocation's basis, with what the causes found applied
 * (issue "Allocation follows the evidence"): one row per cell and owner with its priced cost and
 * a `weight` its share of the cell's invoice amount follows.
 * - Offsetting shifts (`batch_tier`, `cache_pricing`): the quantity the invoice bills in a sibling
 *   cell (batch instead of standard, 1-hour instead of 5-minute writes) moves there with its
 *   owner: the owner group of the logged cell whose quantity matches the shifted quantity (within
 *   2%), else every owner of that cell in proportion. Their dollars then follow those records
 *   instead of falling to the bucket as unmatched, and the logged cell no longer charges them.
 * - `retry_billing`: failed attempts the provider did not bill carry no weight (as much of them as
 *   the cause found unbilled).
 * - Unpriced records weigh their quantity at the cell's priced unit price, so the invoice amount
 *   of their usage goes to their owners instead of to the priced records beside them.
 */
const MATCH_TOLERANCE = '0.02'; // an owner group within 2% of the shifted quantity is the one that moved
const SHIFT_CAUSES = ['batch_tier', 'cache_pricing', 'fallback_drift', 'model_alias'] as const;

/**
 * Which causes the basis follows, from the policy's `causes` option (all of them by default): a
 * cell with one of these (volume effect) has its owners' weights moved, added or cut; in any
 * other cell each record weighs its priced cost (the request trace derives a record's share so).
 */
export function causesTheBasisFollows(policy: AllocationPolicy): { shifts: string[]; partialToOwners: boolean; unbilledFree: boolean } {
  return {
    shifts: SHIFT_CAUSES.filter((c) => policy.causes[c] === 'owner'),
    partialToOwners: policy.causes.streaming_partial === 'owner',
    unbilledFree: policy.causes.retry_billing === 'unbilled_free',
  };
}

function followed(policy: AllocationPolicy) {
  const { shifts, partialToOwners, unbilledFree } = causesTheBasisFollows(policy);
  // `in ()` is not SQL: an empty list becomes a value no cause has
  const list = sql.join((shifts.length ? shifts : ['-']).map((c) => sql.lit(c)));
  return { shifts: sql`(${list})`, partialToOwners, unbilledFree };
}

/**
 * SQL: a run_cost_cube row (unqualified columns) is a retry in the allocation's sense: a retry
 * attempt or a failed one (policy `retries` decides who pays them). A partial stream is usage.
 */
export const RETRY_ROW_SQL = sql`(is_retry or status = 'error')`;

const basisCube = (runId: string, policy: AllocationPolicy) => {
  const follow = followed(policy);
  return sql`
    cube_raw as (
      select provider, model, token_category, service_tier, day, team, cost_center, service, workflow,
             requested_model, ${RETRY_ROW_SQL} as retry, status = 'error' as failed, status = 'partial' as partial,
             (unpriced_reason is null) as priced, null::text as cause,
             sum(cost) as cost, sum(quantity) as quantity, sum(records) as records
      from run_cost_cube where run_id = ${runId}::bigint
      group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14
    ),
    cell_causes as (
      select provider, model, token_category, service_tier, day, cause, sum(amount) as amount, sum(coalesce(quantity, 0)) as quantity
      from run_variance_cell_cause
      where run_id = ${runId}::bigint and effect = 'volume'
        and (cause in ${follow.shifts} or cause in ('retry_billing', 'streaming_partial'))
      group by 1, 2, 3, 4, 5, 6
    ),
    shifts as (
      -- s: the cell the invoice bills; d: the sibling cell the ledger logged the same usage in
      select s.cause, s.provider, s.day, s.model as s_model, s.token_category as s_cat, s.service_tier as s_tier,
             d.model as d_model, d.token_category as d_cat, d.service_tier as d_tier, s.quantity as q
      from cell_causes s
      join cell_causes d on d.cause = s.cause and d.provider = s.provider and d.day = s.day and d.amount < 0
       and ((s.cause = 'batch_tier' and d.model = s.model and d.token_category = s.token_category and d.service_tier <> s.service_tier)
         or (s.cause = 'cache_pricing' and d.model = s.model and d.service_tier = s.service_tier and d.token_category <> s.token_category)
         or (s.cause in ('fallback_drift', 'model_alias') and d.model <> s.model and d.token_category = s.token_category and d.service_tier = s.service_tier))
      where s.cause in ${follow.shifts} and s.amount > 0 and s.quantity > 0
    ),
    shift_owners as (
      select sh.cause, sh.provider, sh.day, sh.s_model, sh.s_cat, sh.s_tier, sh.d_model, sh.d_cat, sh.d_tier, sh.q,
             c.team, c.cost_center, c.service, c.workflow, sum(c.quantity) as oq
      from shifts sh
      join cube_raw c on c.provider = sh.provider and c.day = sh.day
       and c.model = sh.d_model and c.token_category = sh.d_cat and c.service_tier = sh.d_tier and not c.failed
       -- a fallback's dollars follow the records that requested the billed model
       and (sh.cause <> 'fallback_drift' or c.requested_model = sh.s_model)
      group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14
    ),
    shift_best as (
      select distinct on (cause, provider, day, s_model, s_cat, s_tier, d_model, d_cat, d_tier)
             cause, provider, day, s_model, s_cat, s_tier, d_model, d_cat, d_tier, team, cost_center, service, workflow,
             abs(oq - q) <= q * ${MATCH_TOLERANCE}::numeric as matches
      from shift_owners
      order by cause, provider, day, s_model, s_cat, s_tier, d_model, d_cat, d_tier, abs(oq - q), team, service, workflow
    ),
    shift_fraction as (
      select o.cause, o.provider, o.day, o.s_model, o.s_cat, o.s_tier, o.d_model, o.d_cat, o.d_tier, o.team, o.cost_center, o.service, o.workflow,
             case when b.matches then
                    case when (o.team, o.cost_center, o.service, o.workflow) is not distinct from (b.team, b.cost_center, b.service, b.workflow)
                         then least(o.q / nullif(o.oq, 0), 1) else 0 end
                  else least(o.q / nullif(sum(o.oq) over w, 0), 1) end as f
      from shift_owners o
      join shift_best b using (cause, provider, day, s_model, s_cat, s_tier, d_model, d_cat, d_tier)
      window w as (partition by o.cause, o.provider, o.day, o.s_model, o.s_cat, o.s_tier, o.d_model, o.d_cat, o.d_tier)
    ),
    moved as (
      -- the part of each logged row that the invoice bills in the sibling cell ...
      select c.provider, f.s_model as model, f.s_cat as token_category, f.s_tier as service_tier, c.day, c.team, c.cost_center, c.service, c.workflow,
             c.requested_model, c.retry, c.failed, c.partial, c.priced, f.cause,
             c.cost * f.f as cost, c.quantity * f.f as quantity, c.records * f.f as records,
             -f.f as keep_delta, c.model as from_model, c.token_category as from_cat, c.service_tier as from_tier
      from cube_raw c
      join shift_fraction f on f.provider = c.provider and f.day = c.day
       and f.d_model = c.model and f.d_cat = c.token_category and f.d_tier = c.service_tier
       and (f.team, f.cost_center, f.service, f.workflow) is not distinct from (c.team, c.cost_center, c.service, c.workflow)
       and (f.cause <> 'fallback_drift' or c.requested_model = f.s_model)
      where not c.failed and f.f > 0
    ),
    kept as (
      -- ... and what stays in the logged cell
      select c.provider, c.model, c.token_category, c.service_tier, c.day, c.team, c.cost_center, c.service, c.workflow,
             c.requested_model, c.retry, c.failed, c.partial, c.priced, c.cause,
             c.cost * greatest(1 + coalesce(m.delta, 0), 0) as cost, c.quantity * greatest(1 + coalesce(m.delta, 0), 0) as quantity,
             c.records * greatest(1 + coalesce(m.delta, 0), 0) as records
      from cube_raw c
      left join (
        select provider, day, from_model, from_cat, from_tier, team, cost_center, service, workflow, requested_model, retry, failed, partial, priced,
               sum(keep_delta) as delta
        from moved group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14
      ) m on m.provider = c.provider and m.day = c.day and m.from_model = c.model and m.from_cat = c.token_category and m.from_tier = c.service_tier
       and (m.team, m.cost_center, m.service, m.workflow, m.requested_model, m.retry, m.failed, m.partial, m.priced)
           is not distinct from (c.team, c.cost_center, c.service, c.workflow, c.requested_model, c.retry, c.failed, c.partial, c.priced)
    ),
    relocated as (
      select provider, model, token_category, service_tier, day, team, cost_center, service, workflow, retry, failed, partial, priced, cause, cost, quantity, records from kept
      union all
      select provider, model, token_category, service_tier, day, team, cost_center, service, workflow, retry, failed, partial, priced, cause, cost, quantity, records from moved
    ),
    unbilled as (
      -- per cell, the share of its failed attempts that retry_billing found the provider did not bill
      select r.provider, r.model, r.token_category, r.service_tier, r.day,
             least(cc.quantity / nullif(sum(r.quantity) filter (where r.failed), 0), 1) as share
      from relocated r
      join cell_causes cc on cc.cause = 'retry_billing' and ${sql.lit(follow.unbilledFree)} and (cc.provider, cc.model, cc.token_category, cc.service_tier, cc.day) = (r.provider, r.model, r.token_category, r.service_tier, r.day)
      group by r.provider, r.model, r.token_category, r.service_tier, r.day, cc.quantity
    ),
    billed as (
      select r.provider, r.model, r.token_category, r.service_tier, r.day, r.team, r.cost_center, r.service, r.workflow, r.retry, r.priced, r.cause,
             sum(r.cost * case when r.failed then 1 - coalesce(u.share, 0) else 1 end) as cost,
             sum(r.quantity * case when r.failed then 1 - coalesce(u.share, 0) else 1 end) as quantity
      from relocated r
      left join unbilled u on (u.provider, u.model, u.token_category, u.service_tier, u.day) = (r.provider, r.model, r.token_category, r.service_tier, r.day)
      group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
    ),
    cell_price as (
      select provider, model, token_category, service_tier, day,
             sum(cost) filter (where priced) / nullif(sum(quantity) filter (where priced), 0) as unit_price
      from billed group by 1, 2, 3, 4, 5
    ),
    partial_owners as (
      -- the partial streams of a cell's (provider, model, tier, day), from their request rows (a
      -- stream cut off before its last chunk logged no tokens of the category at all)
      select provider, model, service_tier, day, team, cost_center, service, workflow, retry, sum(records) as records,
             sum(sum(records)) over (partition by provider, model, service_tier, day) as all_records
      from relocated where partial and token_category = 'request'
      group by 1, 2, 3, 4, 5, 6, 7, 8, 9
    ),
    partial_added as (
      -- the usage streaming_partial found billed and not logged, on the owners of the partial streams
      select cc.provider, cc.model, cc.token_category, cc.service_tier, cc.day, o.team, o.cost_center, o.service, o.workflow, o.retry,
             true as priced, 'streaming_partial'::text as cause, 0::numeric as cost, cc.quantity * o.records / o.all_records as quantity
      from cell_causes cc
      join partial_owners o on (o.provider, o.model, o.service_tier, o.day) = (cc.provider, cc.model, cc.service_tier, cc.day)
      where cc.cause = 'streaming_partial' and ${sql.lit(follow.partialToOwners)} and cc.amount > 0 and cc.quantity > 0
    ),
    cube as (
      select b.provider, b.model, b.token_category, b.service_tier, b.day, b.team, b.cost_center, b.service, b.workflow, b.retry, b.priced,
             case when b.cause is null and not b.priced then 'unpriced_model' else b.cause end as cause,
             b.cost, b.quantity,
             case when b.priced and b.cause is distinct from 'streaming_partial' then b.cost else b.quantity * coalesce(p.unit_price, 0) end as weight
      from (select * from billed union all select * from partial_added) b
      left join cell_price p on (p.provider, p.model, p.token_category, p.service_tier, p.day) = (b.provider, b.model, b.token_category, b.service_tier, b.day)
      where b.quantity > 0 or b.cost > 0
    ),
    cell as (
      select provider, model, token_category, service_tier, day, sum(cost) as cost, sum(quantity) as quantity, sum(weight) as weight
      from cube group by 1, 2, 3, 4, 5
    )`;
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
  /** the cause whose evidence put these records in the cell (null: logged there) */
  cause: string | null;
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
export async function selectUsageShares(db: Db, runId: string, period: Period, policy: AllocationPolicy): Promise<UsageShareRow[]> {
  // The CTEs below are aggregates the planner cannot size (it expects a handful of rows from
  // each) and, with nested loops allowed, re-aggregates the cube once per invoice cell: 31 s of a
  // 200k-record run on PostgreSQL 15 (bench). Hash joins make it one pass over each input. SET
  // LOCAL lasts for the run's transaction only and is restored right after; outside a
  // transaction it is a no-op.
  return withHashJoins(db, (db) => selectUsageSharesHashed(db, runId, period, policy));
}

async function selectUsageSharesHashed(db: Db, runId: string, period: Period, policy: AllocationPolicy): Promise<UsageShareRow[]> {
  const { rows } = await sql<UsageShareRow>`
    with lines as (${periodLines(runId, period)}),
    inv as (
      select provider, invoice_id, model, token_category, service_tier, charge_date as day, sum(amount) as amount
      from lines where line_type = 'usage' and model is not null and token_category is not null
      group by 1, 2, 3, 4, 5, 6
    ),
    inv_cell as (
      select provider, model, token_category, service_tier, day, sum(amount) as amount, count(*) as invoices
      from inv group by 1, 2, 3, 4, 5
    ),
    ${basisCube(runId, policy)},
    unexplained as (
      select provider, model, token_category, service_tier, day, sum(amount) as amount
      from run_variance_cause
      where run_id = ${runId}::bigint and cause = 'unexplained'
        and model is not null and token_category is not null and service_tier is not null and day is not null
      group by 1, 2, 3, 4, 5
    ),
    split as (
      select i.provider, i.invoice_id, c.team, c.cost_center, c.service, c.workflow, c.model, c.retry, c.priced, c.cause,
             coalesce(v.status <> 'breach', false) as reconciled,
             case when ic.invoices = 1 then c.cost
                  when ic.amount <> 0 then c.cost * i.amount / ic.amount
                  else c.cost / ic.invoices end as basis,
             case when w.weight > 0 then i.amount * c.weight / w.weight else i.amount * c.quantity / w.quantity end as share,
             case when w.weight > 0 then coalesce(u.amount, 0) * c.weight / w.weight else coalesce(u.amount, 0) * c.quantity / w.quantity end as unexplained_share,
             ic.invoices, ic.amount as cell_amount, i.amount as invoice_amount
      from inv i
      join inv_cell ic using (provider, model, token_category, service_tier, day)
      join cell w using (provider, model, token_category, service_tier, day)
      join cube c using (provider, model, token_category, service_tier, day)
      left join run_variance_cell v
        on v.run_id = ${runId}::bigint and v.provider = i.provider and v.model = i.model
       and v.token_category = i.token_category and v.service_tier = i.service_tier and v.day = i.day
      left join unexplained u
        on u.provider = i.provider and u.model = i.model and u.token_category = i.token_category
       and u.service_tier = i.service_tier and u.day = i.day
      where w.cost > 0 or w.quantity > 0
    )
    select provider, invoice_id, team, cost_center, service, workflow, model, retry, priced, cause, reconciled,
           sum(basis)::text as basis, sum(share)::text as share,
           sum(abs(share - basis))::text as variance_abs,
           sum(case when invoices = 1 or cell_amount = 0 then unexplained_share / invoices
                    else unexplained_share * invoice_amount / cell_amount end)::text as unexplained
    from split
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
    order by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11`.execute(db);
  return rows;
}

export interface UnmatchedRow {
  provider: string;
  invoice_id: string;
  model: string | null;
  amount: string;
  reason: 'no_ledger_records' | 'unmapped_invoice_line';
}

/**
 * The usage invoice lines no ledger record explains, one row per line: lines in a cell the basis
 * has no records in (after the causes moved them), and lines mapped to no model or category. The
 * one rule for what the allocation charges as unmatched_invoice, and for the lines a team's
 * dispute workbook shows as the evidence of that charge.
 */
const unmatchedLines = (runId: string, period: Period, policy: AllocationPolicy, fileIds: readonly string[] | null = null) => sql`
    lines as (${uncommittedLines(runId, period, fileIds)}),
    ${basisCube(runId, policy)},
    unmatched_lines as (
      select l.*, 'no_ledger_records' as reason
      from lines l
      left join cell w on w.provider = l.provider and w.model = l.model and w.token_category = l.token_category
                      and w.service_tier = l.service_tier and w.day = l.charge_date
      where l.line_type = 'usage' and l.model is not null and l.token_category is not null
        and (w.provider is null or not (w.cost > 0 or w.quantity > 0))
      union all
      select l.*, 'unmapped_invoice_line' from lines l where l.line_type = 'usage' and (l.model is null or l.token_category is null)
    )`;

/** Usage invoice amounts no ledger record explains: cells with no records, and unmapped lines. */
/**
 * Runs a statement over the allocation basis (basisCube) with hash joins: its aggregates are ones
 * the planner cannot size, and with nested loops it joins them row by row (36 s instead of 1 s for
 * the unmatched lines of a 1M-record month, bench 2026-12-04). SET LOCAL needs a transaction: the
 * run's own, or a read-only one of its own here (the workbooks read outside one).
 */
async function withHashJoins<T>(db: Db, work: (db: Db) => Promise<T>): Promise<T> {
  if (db.isTransaction) return withPlannerSettings(db, HASH_JOIN_SETTINGS, () => work(db));
  return db.transaction().execute((trx) => withPlannerSettings(trx, HASH_JOIN_SETTINGS, () => work(trx)));
}

export async function selectUnmatchedInvoiceAmounts(db: Db, runId: string, period: Period, policy: AllocationPolicy): Promise<UnmatchedRow[]> {
  return withHashJoins(db, (db) => selectUnmatchedInvoiceAmountsHashed(db, runId, period, policy));
}

async function selectUnmatchedInvoiceAmountsHashed(db: Db, runId: string, period: Period, policy: AllocationPolicy): Promise<UnmatchedRow[]> {
  const { rows } = await sql<UnmatchedRow>`
    with ${unmatchedLines(runId, period, policy)}
    select provider, invoice_id, case when reason = 'no_ledger_records' then model else coalesce(model, provider_model, sku) end as model,
           sum(amount)::text as amount, reason
    from unmatched_lines
    group by 1, 2, 3, 5
    order by 1, 2, 3, 5`.execute(db);
  return rows;
}

export interface InvoiceLineEvidence {
  id: string;
  provider: string;
  invoice_id: string;
  charge_date: string;
  source_line: string | null;
  line_type: string;
  provider_model: string | null;
  model: string | null;
  sku: string | null;
  token_category: string | null;
  service_tier: string | null;
  quantity: string | null;
  amount: string;
  /** the allocation component the line's amount went into */
  component: string;
  /** no_ledger_records | unmapped_invoice_line for usage lines; null for fees, tax, discounts, credits */
  reason: string | null;
}

/**
 * The invoice lines behind a team's unmatched_invoice, fee, tax, discount and credit charges of a
 * stored run: the lines of each invoice on which the run charged the team that component (usage
 * lines only when no ledger record explains them, by the rule above). The run's own invoice files
 * and policy, so the list is what the run allocated.
 */
export async function selectTeamInvoiceLines(
  db: Db,
  input: { runId: string; period: Period; team: string; policy: AllocationPolicy; invoiceFileIds: readonly string[] | null },
): Promise<InvoiceLineEvidence[]> {
  const { runId, period, team, policy, invoiceFileIds } = input;
  const { rows: charged } = await sql<{ component: string }>`
    select distinct component from run_allocation
    where run_id = ${runId}::bigint and team = ${team} and component in ('unmatched_invoice', 'fee', 'tax', 'discount', 'credit')`.execute(db);
  if (charged.length === 0) return [];
  const usage = charged.some((c) => c.component === 'unmatched_invoice');
  const fields = sql`id::text, provider, invoice_id, charge_date::text as charge_date, source_line::text as source_line, line_type, provider_model, model, sku,
           token_category, service_tier, quantity::text as quantity, amount::text as amount`;
  const { rows } = await withHashJoins(db, (db) => sql<InvoiceLineEvidence>`
    with ${usage ? unmatchedLines(runId, period, policy, invoiceFileIds) : sql`lines as (${periodLines(runId, period, invoiceFileIds)})`},
    charged as (
      select distinct provider, invoice_id, component from run_allocation
      where run_id = ${runId}::bigint and team = ${team} and component in ('unmatched_invoice', 'fee', 'tax', 'discount', 'credit')),
    evidence as (
      ${usage ? sql`select ${fields}, 'unmatched_invoice' as component, reason from unmatched_lines union all` : sql``}
      select ${fields}, line_type as component, null::text as reason from lines where line_type <> 'usage')
    select e.* from evidence e
    join charged c on c.provider = e.provider and c.invoice_id = e.invoice_id and c.component = e.component
    order by e.provider, e.invoice_id, e.component, e.amount::numeric desc, e.id::bigint`.execute(db));
  return rows;
}

export async function selectInvoiceAdjustments(db: Db, runId: string, period: Period): Promise<{ provider: string; invoice_id: string; line_type: 'discount' | 'credit' | 'tax' | 'fee'; amount: string }[]> {
  const { rows } = await sql<{ provider: string; invoice_id: string; line_type: 'discount' | 'credit' | 'tax' | 'fee'; amount: string }>`
    with lines as (${uncommittedLines(runId, period)})
    select provider, invoice_id, line_type, sum(amount)::text as amount
    from lines where line_type <> 'usage' group by 1, 2, 3 order by 1, 2, 3`.execute(db);
  return rows;
}

export async function selectInvoiceTotals(db: Db, runId: string, period: Period): Promise<{ provider: string; invoice_id: string; amount: string }[]> {
  const { rows } = await sql<{ provider: string; invoice_id: string; amount: string }>`
    with lines as (${periodLines(runId, period)})
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

export async function selectAcceptedDisputes(db: Db, period: Period): Promise<{ id: string; team: string; amount: string; reason: string; receiving_team: string | null }[]> {
  const { rows } = await sql<{ id: string; team: string; amount: string; reason: string; receiving_team: string | null }>`
    select id, team, amount::text, reason, receiving_team from dispute
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
  cause: string | null;
  /** the commitment the amount came from (src/commitments); absent or null: none */
  commitment_id?: string | null;
}

/** Replaces the run's allocation rows in one statement. */
/** A run's stored allocation rows, as saved (money as exact text), for readers outside allocate. */
export async function selectRunAllocationRows(db: Db, runId: string): Promise<AllocationRowText[]> {
  const { rows } = await sql<AllocationRowText>`
    select provider, invoice_id, team, cost_center, service, workflow, model, component, cause, commitment_id,
           basis::text as basis, amount::text as amount, rule
    from run_allocation where run_id = ${runId}::bigint
    order by provider, invoice_id, team, component`.execute(db);
  return rows;
}

export async function saveAllocations(db: Db, runId: string, rows: AllocationRowText[]): Promise<void> {
  await sql`delete from run_allocation where run_id = ${runId}::bigint`.execute(db);
  // Chunks keep one statement's JSON parameter modest on very wide allocations.
  for (let i = 0; i < rows.length; i += 5000) {
    const payload = JSON.stringify(rows.slice(i, i + 5000));
    await sql`
      insert into run_allocation (run_id, provider, invoice_id, team, cost_center, service, workflow, model, component, basis, amount, rule, cause, commitment_id)
      select ${runId}::bigint, v.provider, v.invoice_id, v.team, v.cost_center, v.service, v.workflow, v.model, v.component,
             v.basis::numeric, v.amount::numeric, v.rule, v.cause, v.commitment_id
      from jsonb_to_recordset(${payload}::jsonb) as v(provider text, invoice_id text, team text, cost_center text, service text,
           workflow text, model text, component text, basis text, amount text, rule text, cause text, commitment_id text)`.execute(db);
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
  own_priced_usage: string;
  charge_bridge: { why: string; amount: string }[];
  uncaused: string;
  bridge_flagged: boolean;
}

export async function saveTeamSummaries(db: Db, runId: string, rows: TeamSummaryText[]): Promise<void> {
  await sql`delete from run_team_summary where run_id = ${runId}::bigint`.execute(db);
  if (rows.length === 0) return;
  const payload = JSON.stringify(rows);
  await sql`
    insert into run_team_summary (run_id, team, cost_center, allocated, priced_cost, attributable_share, variance_share,
      untagged_exposure, unexplained_exposure, mode, mode_reason, own_priced_usage, charge_bridge, uncaused, bridge_flagged)
    select ${runId}::bigint, v.team, v.cost_center, v.allocated::numeric, v.priced_cost::numeric, v.attributable_share::numeric,
           v.variance_share::numeric, v.untagged_exposure::numeric, v.unexplained_exposure::numeric, v.mode, v.mode_reason,
           v.own_priced_usage::numeric, v.charge_bridge, v.uncaused::numeric, v.bridge_flagged
    from jsonb_to_recordset(${payload}::jsonb) as v(team text, cost_center text, allocated text, priced_cost text,
         attributable_share text, variance_share text, untagged_exposure text, unexplained_exposure text, mode text, mode_reason text,
         own_priced_usage text, charge_bridge jsonb, uncaused text, bridge_flagged boolean)`.execute(db);
}

/** Priced cost of each team's own records in the run (billed or not): what its charge is measured against. */
export async function selectOwnPricedUsage(db: Db, runId: string): Promise<{ team: string; cost_center: string | null; cost: string }[]> {
  const { rows } = await sql<{ team: string; cost_center: string | null; cost: string }>`
    select team, min(cost_center) as cost_center, sum(cost)::text as cost
    from run_cost_cube where run_id = ${runId}::bigint and team is not null
    group by team order by team`.execute(db);
  return rows;
}

/** Records the first run that applied each accepted dispute (later runs keep applying it). */
export async function markDisputesApplied(db: Db, runId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await sql`
    update dispute set applied_in_run = ${runId}::bigint
    where id = any(${ids}::bigint[]) and applied_in_run is null`.execute(db);
}

// Owners ---------------------------------------------------------------------

export interface OwnersImport {
  path: string;
  sha256: string;
  bytes: number;
  teams: { team: string; cost_center: string | null; owner: string | null; monthly_budget: string | null }[] | null;
  keys: { gateway_key_id: string; team: string; service: string | null; environment: string | null }[] | null;
}

/**
 * Records the owners file (kind 'owners', known by its hash) and replaces each table whose
 * section the file had, whole. Run inside a transaction.
 */
export async function replaceOwners(db: Db, input: OwnersImport): Promise<{ fileId: string; reimported: boolean }> {
  const rowsRead = (input.teams?.length ?? 0) + (input.keys?.length ?? 0);
  const { rows } = await sql<{ id: string; reimported: boolean }>`
    insert into ingested_file (kind, format, path, sha256, bytes, rows_read, rows_stored)
    values ('owners', 'csv', ${input.path}, ${input.sha256}, ${input.bytes}, ${rowsRead}, ${rowsRead})
    on conflict (kind, sha256) where status = 'loaded' do update
      set ingested_at = now(), path = excluded.path, status = 'loaded', replaced_by = null, replace_reason = null
    returning id, (xmax <> 0) as reimported`.execute(db);
  const fileId = rows[0]!.id;
  await sql`
    update ingested_file set status = 'replaced', replaced_by = ${fileId}::bigint, replace_reason = 'a later owners import replaced it'
    where kind = 'owners' and id <> ${fileId}::bigint and status = 'loaded'`.execute(db);
  const source = `owners file #${fileId} ${input.path}`;
  if (input.teams) {
    await sql`delete from team_owner`.execute(db);
    if (input.teams.length > 0) {
      await sql`
        insert into team_owner (team, cost_center, owner, monthly_budget, source)
        select v.team, v.cost_center, v.owner, v.monthly_budget::numeric, ${source}
        from jsonb_to_recordset(${JSON.stringify(input.teams)}::jsonb) as v(team text, cost_center text, owner text, monthly_budget text)`.execute(db);
    }
  }
  if (input.keys) {
    await sql`delete from gateway_key_owner`.execute(db);
    if (input.keys.length > 0) {
      await sql`
        insert into gateway_key_owner (gateway_key_id, team, service, environment, source)
        select v.gateway_key_id, v.team, v.service, v.environment, ${source}
        from jsonb_to_recordset(${JSON.stringify(input.keys)}::jsonb) as v(gateway_key_id text, team text, service text, environment text)`.execute(db);
    }
  }
  return { fileId, reimported: rows[0]!.reimported };
}

export async function selectGatewayKeyOwners(db: Db): Promise<{ gateway_key_id: string; team: string; service: string | null; environment: string | null; source: string }[]> {
  const { rows } = await sql<{ gateway_key_id: string; team: string; service: string | null; environment: string | null; source: string }>`
    select gateway_key_id, team, service, environment, source from gateway_key_owner order by gateway_key_id`.execute(db);
  return rows;
}

// Disputes -------------------------------------------------------------------

export interface DisputeRow {
  id: string;
  period: string;
  team: string;
  reason: string;
  ref: string | null;
  amount: string | null;
  status: 'open' | 'accepted' | 'rejected';
  opened_at: Date;
  due_date: string | null;
  resolved_at: Date | null;
  resolution_note: string | null;
  applied_in_run: string | null;
  /** who takes an accepted dispute's amount (null: the policy bucket) */
  receiving_team: string | null;
}

const disputeColumns = sql`id, period, team, reason, ref, amount::text as amount, status, opened_at, due_date, resolved_at, resolution_note, applied_in_run, receiving_team`;

/** When the team's workbook for the period was last issued: its dispute workbook, else the finance workbook. */
export async function selectWorkbookIssuedAt(db: Db, period: string, team: string): Promise<Date | undefined> {
  const { rows } = await sql<{ issued_at: Date }>`
    select issued_at from workbook_issue
    where period = ${period} and ((kind = 'dispute' and team = ${team}) or kind = 'allocation')
    order by (kind = 'dispute') desc, issued_at desc limit 1`.execute(db);
  return rows[0]?.issued_at;
}

/** Teams recon knows: the owners file, and teams charged by any run of the period. */
export async function selectKnownTeams(db: Db, period: string): Promise<string[]> {
  const { rows } = await sql<{ team: string }>`
    select team from team_owner
    union
    select s.team from run_team_summary s join run r on r.id = s.run_id where r.period = ${period}
    order by 1`.execute(db);
  return rows.map((r) => r.team);
}

/** Where an imported dispute came from: the run of the team's dispute workbook and the form line. */
export interface DisputeImportKey {
  runId: string;
  line: number;
}

/**
 * Inserts a dispute. An imported one (`imported`) is inserted once per workbook run, team and
 * form line: when that line was imported before, nothing is inserted and the earlier dispute is
 * returned with `created: false`.
 */
export async function insertDispute(
  db: Db,
  input: { period: string; team: string; reason: string; ref: string | null; amount: string | null; openedAt: Date; dueDate: string; imported?: DisputeImportKey | undefined },
): Promise<DisputeRow & { created: boolean }> {
  const key = input.imported;
  const { rows } = await sql<DisputeRow>`
    insert into dispute (period, team, reason, ref, amount, opened_at, due_date, import_run_id, import_line)
    values (${input.period}, ${input.team}, ${input.reason}, ${input.ref}, ${input.amount}::numeric, ${input.openedAt}, ${input.dueDate}::date,
            ${key?.runId ?? null}::bigint, ${key?.line ?? null}::integer)
    on conflict (import_run_id, team, import_line) where import_run_id is not null do nothing
    returning ${disputeColumns}`.execute(db);
  if (rows[0]) return { ...rows[0], created: true };
  const { rows: earlier } = await sql<DisputeRow>`
    select ${disputeColumns} from dispute
    where import_run_id = ${key!.runId}::bigint and team = ${input.team} and import_line = ${key!.line}`.execute(db);
  return { ...earlier[0]!, created: false };
}

/** The highest form line imported from the team's dispute workbook of a run (0: none). */
export async function selectLastImportedLine(db: Db, runId: string, team: string): Promise<number> {
  const { rows } = await sql<{ line: number | null }>`
    select max(import_line) as line from dispute where import_run_id = ${runId}::bigint and team = ${team}`.execute(db);
  return Number(rows[0]?.line ?? 0);
}

export async function selectDisputes(db: Db, filter: { period?: string; team?: string }): Promise<DisputeRow[]> {
  const { rows } = await sql<DisputeRow>`
    select ${disputeColumns} from dispute
    where (${filter.period ?? null}::text is null or period = ${filter.period ?? null})
      and (${filter.team ?? null}::text is null or team = ${filter.team ?? null})
    order by period, team, id`.execute(db);
  return rows;
}

export async function selectDispute(db: Db, id: string): Promise<DisputeRow | undefined> {
  const { rows } = await sql<DisputeRow>`select ${disputeColumns} from dispute where id = ${id}::bigint`.execute(db);
  return rows[0];
}

/** Resolves an open dispute; undefined when it was not open any more (someone resolved it first). */
export async function resolveDispute(db: Db, input: { id: string; status: 'accepted' | 'rejected'; note: string; amount: string | null; resolvedAt: Date; receivingTeam?: string | null }): Promise<DisputeRow | undefined> {
  const { rows } = await sql<DisputeRow>`
    update dispute
    set status = ${input.status}, resolution_note = ${input.note}, resolved_at = ${input.resolvedAt},
        amount = coalesce(${input.amount}::numeric, amount), receiving_team = ${input.receivingTeam ?? null}::text
    where id = ${input.id}::bigint and status = 'open'
    returning ${disputeColumns}`.execute(db);
  return rows[0];
}
