import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { Decimal, money } from '../money.ts';
import { describeBridge } from '../allocate/charge-bridge.ts';
import { periodBounds, periodDays, type Period } from '../period.ts';
import { withPlannerSettings } from '../db/planner-settings.ts';
import { canonicalModelSql } from '../pricing/model-names.ts';
import { categoryCostSql, pricingRegionSql, slotOfRecord } from '../pricing/price-slots.ts';
import { SERVICE_TIERS } from '../pricing/rules.ts';
import { periodModelNames } from '../ingest/ledger-rollup.ts';
import { fileCounts, runFileIds } from '../ingest/files-that-count.ts';
import { RETRY_ROW_SQL } from '../allocate/queries.ts';
import { invoiceLinesOfRun } from '../fx/queries.ts';

// The stored results of a run, rolled up for the workbooks. Every query reads one run's tables;
// large lists are read in keyset pages so a month never sits in memory at once.

type Db = Kysely<Database>;

export interface WorkbookRun {
  id: string;
  period: string;
  status: string;
  trigger: string;
  started_at: Date;
  finished_at: Date | null;
  inputs: unknown;
  policy: unknown;
  inputs_hash: string | null;
  results_hash: string | null;
  reopen_reason: string | null;
  period_status: string | null;
}

/** The run a workbook is for: `runId` when given, else the period's latest succeeded run. */
export async function selectWorkbookRun(db: Db, period: Period, runId: string | undefined): Promise<WorkbookRun | undefined> {
  const { rows } = await sql<WorkbookRun>`
    select r.id::text, r.period, r.status, r.trigger, r.started_at, r.finished_at, r.inputs, r.policy,
           r.inputs_hash, r.results_hash, r.reopen_reason, p.status as period_status
    from run r left join period p on p.period = r.period
    where r.period = ${period}
      and (${runId ?? null}::bigint is null or r.id = ${runId ?? null}::bigint)
      and (${runId ?? null}::bigint is not null or r.status = 'succeeded')
    order by r.id desc limit 1`.execute(db);
  return rows[0];
}

export async function selectRunById(db: Db, runId: string): Promise<{ id: string; period: string; status: string } | undefined> {
  const { rows } = await sql<{ id: string; period: string; status: string }>`select id::text, period, status from run where id = ${runId}::bigint`.execute(db);
  return rows[0];
}

export interface ProviderFigures {
  provider: string;
  invoiced: string;
  priced: string;
  allocated: string;
  explained: string;
  unexplained: string;
  cells_review: string;
  cells_breach: string;
}

/**
 * Per provider: invoice lines of the period (from the run's invoice files when it recorded them,
 * else every loaded file), priced ledger, allocations and causes of the run.
 */
export async function selectProviderFigures(db: Db, runId: string, period: Period, invoiceFileIds: string[] | null): Promise<ProviderFigures[]> {
  const { first, last } = periodDays(period);
  const ids = invoiceFileIds ?? [];
  const { rows } = await sql<ProviderFigures>`
    with inv as (
      select i.provider, sum(i.reporting_amount) as amount
      from ${invoiceLinesOfRun(runId)} i join ingested_file f on f.id = i.ingested_file_id
      where i.charge_date between ${first}::date and ${last}::date
        and (case when ${invoiceFileIds === null}::boolean then ${fileCounts('f')} else i.ingested_file_id = any(${ids}::bigint[]) end)
      group by i.provider),
    cube as (select provider, sum(cost) as cost from run_cost_cube where run_id = ${runId}::bigint group by provider),
    alloc as (select provider, sum(amount) as amount from run_allocation where run_id = ${runId}::bigint group by provider),
    causes as (
      select provider, sum(amount) filter (where cause <> 'unexplained') as explained, sum(amount) filter (where cause = 'unexplained') as unexplained
      from run_variance_cause where run_id = ${runId}::bigint group by provider),
    cells as (
      select provider, count(*) filter (where status = 'review') as review, count(*) filter (where status = 'breach') as breach
      from run_variance_cell where run_id = ${runId}::bigint group by provider),
    providers as (select provider from inv union select provider from cube union select provider from alloc union select provider from causes)
    select p.provider,
           coalesce(inv.amount, 0)::text as invoiced, coalesce(cube.cost, 0)::text as priced,
           coalesce(alloc.amount, 0)::text as allocated, coalesce(causes.explained, 0)::text as explained,
           coalesce(causes.unexplained, 0)::text as unexplained,
           coalesce(cells.review, 0)::text as cells_review, coalesce(cells.breach, 0)::text as cells_breach
    from providers p
    left join inv on inv.provider = p.provider left join cube on cube.provider = p.provider
    left join alloc on alloc.provider = p.provider left join causes on causes.provider = p.provider
    left join cells on cells.provider = p.provider
    order by p.provider`.execute(db);
  return rows;
}

export interface TeamFigures {
  team: string;
  cost_center: string | null;
  allocated: string;
  usage: string;
  retry: string;
  untagged: string;
  discounts_credits: string;
  tax_fees: string;
  variance: string;
  disputes: string;
  priced_cost: string | null;
  attributable_share: string | null;
  variance_share: string | null;
  untagged_exposure: string | null;
  unexplained_exposure: string | null;
  mode: string | null;
  mode_reason: string | null;
  budget: string | null;
  forecast: string | null;
  own_priced_usage: string | null;
  /** allocated − own priced usage */
  charge_difference: string | null;
  /** what moved the difference, largest first, to the cent (allocate/charge-bridge.ts describeBridge) */
  moved_by: string | null;
  /** 'no cause explains it' when the uncaused part is beyond tolerance, else null */
  bridge_flag: string | null;
}

/** Per team: the allocation split by component, with the team's confidence and mode. */
export async function selectTeamFigures(db: Db, runId: string, team?: string): Promise<TeamFigures[]> {
  const { rows } = await sql<TeamFigures>`
    with a as (
      select team, max(cost_center) as cost_center, sum(amount) as allocated,
             coalesce(sum(amount) filter (where component = 'usage'), 0) as usage,
             coalesce(sum(amount) filter (where component = 'retry'), 0) as retry,
             coalesce(sum(amount) filter (where component = 'untagged'), 0) as untagged,
             coalesce(sum(amount) filter (where component in ('discount', 'credit')), 0) as discounts_credits,
             coalesce(sum(amount) filter (where component in ('tax', 'fee')), 0) as tax_fees,
             coalesce(sum(amount) filter (where component in ('variance', 'unmatched_invoice')), 0) as variance,
             coalesce(sum(amount) filter (where component = 'dispute'), 0) as disputes
      from run_allocation where run_id = ${runId}::bigint group by team),
    s as (select * from run_team_summary where run_id = ${runId}::bigint)
    select coalesce(a.team, s.team) as team, coalesce(s.cost_center, a.cost_center) as cost_center,
           coalesce(a.allocated, 0)::text as allocated, coalesce(a.usage, 0)::text as usage, coalesce(a.retry, 0)::text as retry,
           coalesce(a.untagged, 0)::text as untagged, coalesce(a.discounts_credits, 0)::text as discounts_credits,
           coalesce(a.tax_fees, 0)::text as tax_fees, coalesce(a.variance, 0)::text as variance, coalesce(a.disputes, 0)::text as disputes,
           s.priced_cost::text, s.attributable_share::text, s.variance_share::text, s.untagged_exposure::text,
           s.unexplained_exposure::text, s.mode, s.mode_reason, s.budget::text, s.forecast::text,
           s.own_priced_usage::text, (coalesce(a.allocated, 0) - s.own_priced_usage)::text as charge_difference,
           s.charge_bridge as moved_by, case when s.bridge_flagged then 'no cause explains it' end as bridge_flag
    from a full join s on s.team = a.team
    where (${team ?? null}::text is null or coalesce(a.team, s.team) = ${team ?? null}::text)
    order by 1`.execute(db);
  return rows.map((r) => ({ ...r, moved_by: r.moved_by === null ? null : describeBridge({ by: (r.moved_by as unknown as { why: string; amount: string }[]).map((l) => ({ why: l.why, amount: money(l.amount) })) }) || null }));
}

export interface CostCenterFigures {
  cost_center: string | null;
  teams: string;
  allocated: string;
  basis: string;
}

export async function selectCostCenterFigures(db: Db, runId: string): Promise<CostCenterFigures[]> {
  const { rows } = await sql<CostCenterFigures>`
    select cost_center, count(distinct team)::text as teams, sum(amount)::text as allocated, sum(basis)::text as basis
    from run_allocation where run_id = ${runId}::bigint
    group by cost_center order by cost_center nulls last`.execute(db);
  return rows;
}

export interface ServiceWorkflowFigures {
  team: string;
  cost_center: string | null;
  service: string | null;
  workflow: string | null;
  allocated: string;
  basis: string;
  components: string;
}

export async function selectServiceWorkflowFigures(db: Db, runId: string, team?: string): Promise<ServiceWorkflowFigures[]> {
  const { rows } = await sql<ServiceWorkflowFigures>`
    select team, max(cost_center) as cost_center, service, workflow, sum(amount)::text as allocated, sum(basis)::text as basis,
           string_agg(distinct component, ', ' order by component) as components
    from run_allocation where run_id = ${runId}::bigint and (${team ?? null}::text is null or team = ${team ?? null}::text)
    group by team, service, workflow order by team, service nulls last, workflow nulls last`.execute(db);
  return rows;
}

export interface ModelFigures {
  provider: string;
  model: string | null;
  records: string;
  priced: string;
  invoiced: string;
  allocated: string;
  unpriced_records: string;
}

export async function selectModelFigures(db: Db, runId: string): Promise<ModelFigures[]> {
  const { rows } = await sql<ModelFigures>`
    with cube as (
      select provider, model, sum(records) filter (where token_category = 'request') as records, sum(cost) as cost,
             coalesce(sum(records) filter (where token_category = 'request' and unpriced_reason is not null), 0) as unpriced
      from run_cost_cube where run_id = ${runId}::bigint group by provider, model),
    inv as (select provider, model, sum(invoice_amount) as amount from run_variance_cell where run_id = ${runId}::bigint group by provider, model),
    alloc as (select provider, model, sum(amount) as amount from run_allocation where run_id = ${runId}::bigint group by provider, model),
    keys as (select provider, model from cube union select provider, model from inv union select provider, model from alloc)
    select k.provider, k.model, coalesce(cube.records, 0)::text as records, coalesce(cube.cost, 0)::text as priced,
           coalesce(inv.amount, 0)::text as invoiced, coalesce(alloc.amount, 0)::text as allocated,
           coalesce(cube.unpriced, 0)::text as unpriced_records
    from keys k
    left join cube on cube.provider = k.provider and cube.model is not distinct from k.model
    left join inv on inv.provider = k.provider and inv.model is not distinct from k.model
    left join alloc on alloc.provider = k.provider and alloc.model is not distinct from k.model
    order by k.provider, k.model nulls last`.execute(db);
  return rows;
}

export interface VarianceCellRow {
  day: string;
  provider: string;
  model: string;
  token_category: string;
  service_tier: string;
  invoice_quantity: string;
  ledger_quantity: string;
  quantity_variance: string;
  /** the card price the cell was priced at, USD per 1M tokens (per request for token category 'request') */
  card_price: string | null;
  invoice_amount: string;
  ledger_amount: string;
  volume_effect: string;
  price_effect: string;
  variance_amount: string;
  variance_share: string | null;
  /** the part of the variance the run attributed to a named cause (run_variance_cell_cause) */
  explained: string;
  /** variance − explained: what no cause explains */
  unexplained: string;
  /** the status the run stored, from the whole variance before causes */
  status: string;
  invoice_line_ids: string;
}

const PAGE = 5000;

/** Variance cells of a run in keyset pages (primary key order), for sheets of any length. */
export async function* varianceCellPages(db: Db, runId: string): AsyncIterable<VarianceCellRow> {
  let after: [string, string, string, string, string] | null = null;
  for (;;) {
    const k: [string, string, string, string, string] = after ?? ['', '', '', '', '0001-01-01'];
    // run_variance_cell stores card_unit_price per token (per request for 'request'): shown per 1M tokens
    const page: { rows: (VarianceCellRow & { day_key: string })[] } = await sql<VarianceCellRow & { day_key: string }>`
      select c.day::text as day, c.day::text as day_key, c.provider, c.model, c.token_category, c.service_tier,
             c.invoice_quantity::text, c.ledger_quantity::text, c.quantity_variance::text,
             (c.card_unit_price * case when c.token_category = 'request' then 1 else 1000000 end)::text as card_price,
             c.invoice_amount::text, c.ledger_amount::text, c.volume_effect::text, c.price_effect::text, c.variance_amount::text,
             case when c.invoice_amount <> 0 then (c.variance_amount / abs(c.invoice_amount))::text end as variance_share,
             coalesce(x.explained, 0)::text as explained, (c.variance_amount - coalesce(x.explained, 0))::text as unexplained,
             c.status, array_to_string(c.invoice_line_ids, ' ') as invoice_line_ids
      from run_variance_cell c
      left join lateral (
        select sum(a.amount) filter (where a.cause <> 'unexplained') as explained from run_variance_cell_cause a
        where a.run_id = c.run_id and a.provider = c.provider and a.model = c.model and a.token_category = c.token_category
          and a.service_tier = c.service_tier and a.day = c.day) x on true
      where c.run_id = ${runId}::bigint
        and (${after === null}::boolean or (c.provider, c.model, c.token_category, c.service_tier, c.day) > (${k[0]}, ${k[1]}, ${k[2]}, ${k[3]}, ${k[4]}::date))
      order by c.provider, c.model, c.token_category, c.service_tier, c.day
      limit ${PAGE}`.execute(db);
    const rows = page.rows;
    for (const { day_key: _key, ...row } of rows) yield row;
    if (rows.length < PAGE) return;
    const last: VarianceCellRow & { day_key: string } = rows[rows.length - 1]!;
    after = [last.provider, last.model, last.token_category, last.service_tier, last.day_key];
  }
}

export interface CauseTotal {
  provider: string;
  cause: string;
  amount: string;
  cells_affected: string;
  record_count: string;
  rules: string;
}

export interface ProviderEnds {
  provider: string;
  invoiced: string;
  priced: string;
}

/**
 * Per provider and cause: amount, records, and the cells it touched, counted once each (from the
 * per-cell attribution; a cause found in several groups of one cell is still one cell). Runs
 * without per-cell attribution fall back to the causes' own counts.
 */
export async function selectCauseTotals(db: Db, runId: string): Promise<CauseTotal[]> {
  const { rows } = await sql<CauseTotal>`
    with cells as (
      select provider, cause, count(distinct (model, token_category, service_tier, day)) as cells
      from run_variance_cell_cause where run_id = ${runId}::bigint and amount <> 0
      group by provider, cause),
    causes as (
      select provider, cause, sum(amount) as amount, sum(cells_affected) as cells_affected,
             sum(record_count) as record_count, string_agg(distinct rule, '; ' order by rule) as rules
      from run_variance_cause where run_id = ${runId}::bigint
      group by provider, cause)
    select k.provider, k.cause, k.amount::text as amount,
           (case when exists (select 1 from run_variance_cell_cause where run_id = ${runId}::bigint) then coalesce(c.cells, 0) else k.cells_affected end)::text as cells_affected,
           k.record_count::text as record_count, k.rules
    from causes k left join cells c on c.provider = k.provider and c.cause = k.cause
    order by k.provider, (k.cause = 'unexplained'), abs(k.amount) desc, k.cause`.execute(db);
  return rows;
}

/**
 * Variance cells with any amount attributed (to a cause or left unexplained), each counted once:
 * the total of "Cells affected", where summing per cause would count a cell once per cause.
 * Null when the run has no per-cell attribution.
 */
export async function selectCellsWithCauses(db: Db, runId: string): Promise<string | null> {
  const { rows } = await sql<{ cells: string; any: boolean }>`
    select count(distinct (provider, model, token_category, service_tier, day)) filter (where amount <> 0)::text as cells, count(*) > 0 as any
    from run_variance_cell_cause where run_id = ${runId}::bigint`.execute(db);
  return rows[0]?.any ? rows[0].cells : null;
}

export interface CauseDetailRow {
  provider: string;
  cause: string;
  model: string | null;
  token_category: string | null;
  service_tier: string | null;
  day: string | null;
  amount: string;
  quantity: string | null;
  cells_affected: string;
  record_count: string;
  rule: string;
  detail: string | null;
  sample_request_ids: string;
  invoice_line_ids: string;
}

export async function selectCauseDetail(db: Db, runId: string): Promise<CauseDetailRow[]> {
  const { rows } = await sql<CauseDetailRow>`
    select provider, cause, model, token_category, service_tier, day::text as day, amount::text, quantity::text,
           cells_affected::text, record_count::text, rule, detail,
           array_to_string(sample_request_ids, ' ') as sample_request_ids, array_to_string(invoice_line_ids, ' ') as invoice_line_ids
    from run_variance_cause where run_id = ${runId}::bigint
    order by provider, cause, day nulls first, model nulls first, token_category nulls first, service_tier nulls first, amount`.execute(db);
  return rows;
}

export interface UntaggedRow {
  kind: string;
  provider: string;
  model: string | null;
  environment: string | null;
  service: string | null;
  workflow: string | null;
  gateway_key_id: string | null;
  records: string | null;
  amount: string;
  went_to: string | null;
  evidence: string | null;
}


export interface InvoiceLineRow {
  id: string;
  provider: string;
  invoice_id: string;
  charge_date: string;
  model: string | null;
  token_category: string | null;
  line_type: string;
  sku: string | null;
  reporting_amount: string;
  reporting_currency: string;
  billed_amount: string;
  billed_currency: string;
  fx_rate: string | null;
  fx_rate_date: string | null;
  fx_rate_source: string | null;
  fx_rate_id: string | null;
}

/**
 * The period's invoice lines of a run (its recorded invoice files, else every loaded file) with
 * their reporting amount and the rate used (src/fx), in line id order; none when every line is
 * billed in the reporting currency.
 */
export async function selectInvoiceLinesOfRun(db: Db, runId: string, period: Period, invoiceFileIds: string[] | null): Promise<InvoiceLineRow[]> {
  const { first, last } = periodDays(period);
  const ids = invoiceFileIds ?? [];
  const inRun = sql`i.charge_date between ${first}::date and ${last}::date
      and (case when ${invoiceFileIds === null}::boolean then ${fileCounts('f')} else i.ingested_file_id = any(${ids}::bigint[]) end)`;
  const { rows } = await sql<InvoiceLineRow>`
    select i.id::text as id, i.provider, i.invoice_id, i.charge_date::text as charge_date, i.model, i.token_category, i.line_type, i.sku,
           i.reporting_amount::text as reporting_amount, i.reporting_currency, i.amount::text as billed_amount, i.currency as billed_currency,
           i.fx_rate::text as fx_rate, i.fx_rate_date, i.fx_rate_source, i.fx_rate_id::text as fx_rate_id
    from ${invoiceLinesOfRun(runId)} i join ingested_file f on f.id = i.ingested_file_id
    where ${inRun}
      and exists (select 1 from ${invoiceLinesOfRun(runId)} i join ingested_file f on f.id = i.ingested_file_id where ${inRun} and i.currency <> i.reporting_currency)
    order by i.id`.execute(db);
  return rows;
}
/**
 * What no team owns: untagged priced spend (with sample request ids as evidence), where the policy
 * put it, invoice lines that matched no model, and any invoice amount the run left unallocated.
 */
export async function selectUntaggedAndUnallocated(db: Db, runId: string, period: Period, invoiceFileIds: string[] | null): Promise<UntaggedRow[]> {
  const { start, end } = periodBounds(period);
  const { first, last } = periodDays(period);
  const ids = invoiceFileIds ?? [];
  const { rows } = await sql<UntaggedRow>`
    with untagged as (
      select provider, model, environment, service, workflow, gateway_key_id,
             sum(records) filter (where token_category = 'request') as records, sum(cost) as cost
      from run_cost_cube where run_id = ${runId}::bigint and team is null
      group by provider, model, environment, service, workflow, gateway_key_id),
    evidence as (
      select l.provider, l.environment, l.service, l.workflow, l.gateway_key_id,
             array_to_string((array_agg(l.request_id order by l.ts, l.request_id))[1:5], ' ') as samples,
             min(l.ts) as first_ts, max(l.ts) as last_ts
      from ledger_record l
      left join gateway_key_owner g on g.gateway_key_id = l.gateway_key_id
      where l.ts >= ${start.toISOString()}::timestamptz and l.ts < ${end.toISOString()}::timestamptz
        and l.ingested_file_id = any(${await runFileIds(db, runId, 'ledger')}::bigint[])
        and l.team is null and g.team is null
      group by l.provider, l.environment, l.service, l.workflow, l.gateway_key_id),
    bucket as (
      select provider, team, sum(amount) as amount, string_agg(distinct rule, '; ' order by rule) as rules
      from run_allocation where run_id = ${runId}::bigint and component in ('untagged', 'unmatched_invoice')
      group by provider, team),
    unmapped as (
      select i.provider, i.provider_model, i.sku, sum(i.reporting_amount) as amount, count(*) as lines,
             array_to_string((array_agg(i.id order by i.id))[1:10], ' ') as line_ids
      from ${invoiceLinesOfRun(runId)} i join ingested_file f on f.id = i.ingested_file_id
      where i.charge_date between ${first}::date and ${last}::date and i.line_type = 'usage'
        and (i.model is null or i.token_category is null)
        and (case when ${invoiceFileIds === null}::boolean then ${fileCounts('f')} else i.ingested_file_id = any(${ids}::bigint[]) end)
      group by i.provider, i.provider_model, i.sku),
    inv as (
      select i.provider, i.invoice_id, sum(i.reporting_amount) as amount
      from ${invoiceLinesOfRun(runId)} i join ingested_file f on f.id = i.ingested_file_id
      where i.charge_date between ${first}::date and ${last}::date
        and (case when ${invoiceFileIds === null}::boolean then ${fileCounts('f')} else i.ingested_file_id = any(${ids}::bigint[]) end)
      group by i.provider, i.invoice_id),
    alloc as (select provider, invoice_id, sum(amount) as amount from run_allocation where run_id = ${runId}::bigint group by provider, invoice_id)
    select * from (
      select 'untagged spend' as kind, u.provider, u.model, u.environment, u.service, u.workflow, u.gateway_key_id,
             u.records::text as records, u.cost::text as amount, null::text as went_to,
             case when e.samples is not null then 'requests ' || e.samples || ' (' || to_char(e.first_ts at time zone 'UTC', 'YYYY-MM-DD') || ' to ' || to_char(e.last_ts at time zone 'UTC', 'YYYY-MM-DD') || ')' end as evidence,
             1 as section
      from untagged u
      left join evidence e on e.provider = u.provider and e.environment is not distinct from u.environment
        and e.service is not distinct from u.service and e.workflow is not distinct from u.workflow
        and e.gateway_key_id is not distinct from u.gateway_key_id
      union all
      select 'allocated to bucket', b.provider, null, null, null, null, null, null, b.amount::text, b.team, b.rules, 2
      from bucket b
      union all
      select 'unmapped invoice line', m.provider, m.provider_model, null, null, null, null, m.lines::text, m.amount::text, null,
             'sku ' || coalesce(m.sku, '(none)') || '; invoice lines ' || m.line_ids, 3
      from unmapped m
      union all
      select 'unallocated invoice amount', coalesce(inv.provider, alloc.provider), null, null, null, null, null, null,
             (coalesce(inv.amount, 0) - coalesce(alloc.amount, 0))::text, null,
             'invoice ' || coalesce(inv.invoice_id, alloc.invoice_id) || ': invoiced ' || coalesce(inv.amount, 0)::text || ', allocated ' || coalesce(alloc.amount, 0)::text, 4
      from inv full join alloc on alloc.provider = inv.provider and alloc.invoice_id = inv.invoice_id
      where coalesce(inv.amount, 0) <> coalesce(alloc.amount, 0)
    ) x
    order by section, provider, amount::numeric desc, model nulls last, service nulls last, workflow nulls last, gateway_key_id nulls last`.execute(db);
  return rows;
}

export interface CardVersionUsed {
  id: string;
  card_version: string;
  source: string;
  imported_at: Date;
  records: string;
  cost: string;
}

export async function selectCardVersionsUsed(db: Db, runId: string): Promise<CardVersionUsed[]> {
  const { rows } = await sql<CardVersionUsed>`
    select v.id::text, v.card_version, v.source, v.imported_at,
           coalesce(sum(c.records) filter (where c.token_category = 'request'), 0)::text as records, coalesce(sum(c.cost), 0)::text as cost
    from run_cost_cube c join rate_card_version v on v.id = c.card_version_id
    where c.run_id = ${runId}::bigint
    group by v.id, v.card_version, v.source, v.imported_at order by v.id`.execute(db);
  return rows;
}

export interface InputFileRow {
  id: string;
  kind: string;
  format: string;
  path: string;
  sha256: string;
  status: string;
  rows_stored: string;
  rows_rejected: string;
  ingested_at: Date;
}

export async function selectInputFiles(db: Db, fileIds: string[]): Promise<InputFileRow[]> {
  if (fileIds.length === 0) return [];
  const { rows } = await sql<InputFileRow>`
    select id::text, kind, format, path, sha256, status, rows_stored::text, rows_rejected::text, ingested_at
    from ingested_file where id = any(${fileIds}::bigint[]) order by kind, id`.execute(db);
  return rows;
}

export interface DisputeRow {
  id: string;
  team: string;
  status: string;
  reason: string;
  ref: string | null;
  amount: string | null;
  opened_at: Date;
  due_date: string | null;
  resolved_at: Date | null;
  resolution_note: string | null;
  applied_in_run: string | null;
}

export async function selectDisputes(db: Db, period: Period, team?: string): Promise<DisputeRow[]> {
  const { rows } = await sql<DisputeRow>`
    select id::text, team, status, reason, ref, amount::text, opened_at, due_date::text, resolved_at, resolution_note, applied_in_run::text
    from dispute where period = ${period} and (${team ?? null}::text is null or team = ${team ?? null}::text)
    order by (status = 'open') desc, due_date nulls last, id`.execute(db);
  return rows;
}

/** Teams with a charge or a summary in the run: one dispute workbook each. */
export async function selectRunTeams(db: Db, runId: string): Promise<string[]> {
  const { rows } = await sql<{ team: string }>`
    select team from run_allocation where run_id = ${runId}::bigint
    union select team from run_team_summary where run_id = ${runId}::bigint
    order by 1`.execute(db);
  return rows.map((r) => r.team);
}

/** Whose records a row of a team's evidence is: the team's own, or untagged records the policy charged to it. */
export type RecordsOf = 'own' | 'untagged';

export interface TeamDayRow {
  day: string;
  records_of: RecordsOf;
  service: string | null;
  workflow: string | null;
  provider: string;
  model: string;
  records: string;
  cost: string;
}

/**
 * The untagged records (no team tag, no key owner) a run charged to `team`, by provider: those of
 * each provider whose untagged spend the run kept in the team as the policy's platform bucket
 * (component untagged). Spread shares (untagged: proportional / even) list no records: the team
 * carries a share of the whole pool, not these records. Empty for every other team.
 */
export async function selectUntaggedProvidersOf(db: Db, runId: string, team: string, platformBucket: string): Promise<string[]> {
  if (team !== platformBucket) return [];
  const { rows } = await sql<{ provider: string }>`
    select distinct provider from run_allocation
    where run_id = ${runId}::bigint and team = ${team} and component = 'untagged' order by 1`.execute(db);
  return rows.map((r) => r.provider);
}

/**
 * The team's priced ledger by day, service, workflow and model (the allocation has no day), and
 * the untagged records of `untaggedProviders` that the run charged to it (selectUntaggedProvidersOf).
 */
export async function selectTeamDays(db: Db, runId: string, team: string, untaggedProviders: readonly string[] = []): Promise<TeamDayRow[]> {
  const { rows } = await sql<TeamDayRow>`
    select day::text as day, case when team is null then 'untagged' else 'own' end as records_of, service, workflow, provider, model,
           coalesce(sum(records) filter (where token_category = 'request'), 0)::text as records, sum(cost)::text as cost
    from run_cost_cube
    where run_id = ${runId}::bigint and (team = ${team} or (team is null and provider = any(${[...untaggedProviders]}::text[])))
    group by day, team is null, service, workflow, provider, model
    order by day, team is null, service nulls last, workflow nulls last, provider, model`.execute(db);
  return rows;
}

export interface TeamChargeRow {
  provider: string;
  invoice_id: string;
  service: string | null;
  workflow: string | null;
  model: string | null;
  component: string;
  basis: string;
  amount: string;
  rule: string;
}

export async function selectTeamCharges(db: Db, runId: string, team: string): Promise<TeamChargeRow[]> {
  const { rows } = await sql<TeamChargeRow>`
    select provider, invoice_id, service, workflow, model, component, sum(basis)::text as basis, sum(amount)::text as amount,
           string_agg(distinct rule, '; ' order by rule) as rule
    from run_allocation where run_id = ${runId}::bigint and team = ${team}
    group by provider, invoice_id, service, workflow, model, component
    order by provider, invoice_id, service nulls last, workflow nulls last, model nulls last, component`.execute(db);
  return rows;
}

export interface TeamRuleRow {
  component: string;
  rule: string;
  amount: string;
  basis: string;
  rows: string;
}

export async function selectTeamRules(db: Db, runId: string, team: string): Promise<TeamRuleRow[]> {
  const { rows } = await sql<TeamRuleRow>`
    select component, rule, sum(amount)::text as amount, sum(basis)::text as basis, count(*)::text as rows
    from run_allocation where run_id = ${runId}::bigint and team = ${team}
    group by component, rule order by component, rule`.execute(db);
  return rows;
}

export interface TeamRetryRow {
  day: string;
  /** whose attempts: the team's own, or (the platform bucket under policy retries: platform) another team's */
  team: string;
  service: string | null;
  workflow: string | null;
  provider: string;
  model: string;
  status: string;
  is_retry: boolean;
  records: string;
  cost: string;
}

/**
 * The team's retry attempts and failed or partial requests, as priced; with `othersCharged` (the
 * platform bucket when the policy charges retries to it) also every other team's retries and
 * failed attempts, which the run charged to it.
 */
export async function selectTeamRetries(db: Db, runId: string, team: string, othersCharged = false): Promise<TeamRetryRow[]> {
  const { rows } = await sql<TeamRetryRow>`
    select day::text as day, team, service, workflow, provider, model, status, is_retry,
           coalesce(sum(records) filter (where token_category = 'request'), 0)::text as records, sum(cost)::text as cost
    from run_cost_cube
    where run_id = ${runId}::bigint and (is_retry or status <> 'ok')
      and (team = ${team} or (${othersCharged}::boolean and team is not null and ${RETRY_ROW_SQL}))
    group by day, team, service, workflow, provider, model, status, is_retry
    order by day, team <> ${team}, team, service nulls last, workflow nulls last, provider, model, status, is_retry`.execute(db);
  return rows;
}

export interface TopRequestRow {
  request_id: string;
  provider_response_id: string | null;
  ts: Date;
  provider: string;
  model: string;
  service: string | null;
  workflow: string | null;
  status: string;
  attempt: number | null;
  input_tokens: string;
  cached_input_tokens: string;
  cache_write_5m_tokens: string;
  cache_write_1h_tokens: string;
  output_tokens: string;
  reasoning_tokens: string;
  card_version: string | null;
  cost: string;
  records_of: RecordsOf;
}

/** Untagged records listed as a team's (the platform bucket's) requests: selectUntaggedProvidersOf. */
export interface UntaggedTo {
  team: string;
  providers: readonly string[];
}

/**
 * The team's most expensive requests, exactly as if every record of the team were priced against
 * the rate card lines of the card versions this run used (same keys as pricing: provider,
 * canonical model, tier, category, region, long-context threshold, effective time); `limit` caps
 * the list and `total` counts all the team's records.
 *
 * Pricing a whole month record by record to keep a thousand is what made this slow, so the work
 * is split. Each record gets a cheap upper bound of its cost (its token counts times the highest
 * price of each category for its provider, model name and tier on those card versions) and the
 * records with the highest bounds are kept (see selectTopRequestCandidates); only those are
 * priced exactly, with index lookups on the card. The list is final once its last row costs more
 * than the best bound left out; otherwise more candidates are taken (at worst every record with a
 * non-zero bound). A record whose bound is 0 costs exactly 0 (prices are never negative), so only
 * the earliest `limit` of those can make the list.
 */
export async function selectTopRequests(db: Db, runId: string, period: Period, team: string, limit: number, untagged?: UntaggedTo): Promise<{ rows: TopRequestRow[]; total: string }> {
  const found = await selectTopRequestsOfTeams(db, runId, period, [team], limit, untagged);
  return found.get(team) ?? { rows: [], total: '0' };
}

/** selectTopRequests for several teams, with the month scanned twice for all of them together. */
export async function selectTopRequestsOfTeams(
  db: Db,
  runId: string,
  period: Period,
  teams: readonly string[],
  limit: number,
  untagged?: UntaggedTo,
): Promise<Map<string, { rows: TopRequestRow[]; total: string }>> {
  const result = new Map<string, { rows: TopRequestRow[]; total: string }>();
  if (teams.length === 0) return result;
  const bounds = await selectCostBounds(db, runId, period);
  let size = Math.max(limit * 2, 100);
  let pending = [...new Set(teams)];
  while (pending.length > 0) {
    const ledgerFileIds = await runFileIds(db, runId, 'ledger');
    const found = await withHashJoins(db, (trx) => selectTopRequestCandidates(trx, bounds, ledgerFileIds, period, pending, limit, size, untagged));
    const incomplete: string[] = [];
    for (const team of pending) {
      const candidates = found.get(team) ?? { candidates: [], total: '0', outsideBound: null };
      const rows = await priceTopRequests(db, runId, candidates.candidates, limit);
      const last = rows[rows.length - 1];
      const complete = candidates.outsideBound === null || (rows.length === limit && last !== undefined && new Decimal(last.cost).greaterThan(candidates.outsideBound));
      if (complete) result.set(team, { rows, total: candidates.total });
      else incomplete.push(team);
    }
    pending = incomplete;
    size *= 4;
  }
  return result;
}

/**
 * Planner settings for the two scans of the month joined to small parameter tables: without
 * statistics on them the planner expects a handful of rows, then loops over them per record or
 * sorts the month (on disk) for merge joins and a GroupAggregate; hashing is what fits. Sorts
 * priced out would make JIT compile for the inflated cost. The joins go in the order written:
 * the kept histogram steps are matched on (team, step) after the prices that give the step, not
 * on the team alone before them (which multiplied the month by the number of steps kept).
 */
const SCAN_PLANNER_SETTINGS: Readonly<Record<string, string>> = {
  enable_nestloop: 'off',
  enable_mergejoin: 'off',
  enable_sort: 'off',
  jit: 'off',
  join_collapse_limit: '1',
  from_collapse_limit: '1',
};

/**
 * Runs `work` with SCAN_PLANNER_SETTINGS. SET LOCAL needs a transaction: the caller's (the
 * settings are restored after), or one of its own, repeatable read so that both scans see the
 * same records.
 */
async function withHashJoins<T>(db: Db, work: (db: Db) => Promise<T>): Promise<T> {
  const run = (trx: Db) => withPlannerSettings(trx, SCAN_PLANNER_SETTINGS, () => work(trx));
  return db.isTransaction ? run(db) : db.transaction().setIsolationLevel('repeatable read').execute(run);
}

/** The highest price of each category per provider, model name as records write it, and tier, over the run's price slots. */
interface CostBound {
  provider: string;
  name: string;
  service_tier: string;
  input_price: string;
  cached_input_price: string;
  cache_write_5m_price: string;
  cache_write_1h_price: string;
  output_price: string;
  request_price: string;
}

/**
 * Bounds per name the period's records use: over the slots of every name it can price under
 * (its own spelling, and each canonical model an alias maps it to during the period), so the
 * bound is never below the price the one price rule picks.
 */
async function selectCostBounds(db: Db, runId: string, period: Period): Promise<CostBound[]> {
  const { first, last } = periodDays(period);
  const { rows } = await sql<CostBound>`
    with names as (${periodModelNames(await runFileIds(db, runId, 'ledger'), first, last)}),
    targets as (
      select provider, response_model as name, model_spelling(provider, response_model) as model from names
      union
      select n.provider, n.response_model, a.model from names n
      join model_alias a on a.provider = n.provider and a.alias = model_spelling(n.provider, n.response_model))
    select t.provider, t.name, s.service_tier,
           coalesce(max(s.input_price), 0)::text as input_price,
           coalesce(max(s.cached_input_price), 0)::text as cached_input_price,
           coalesce(max(s.cache_write_5m_price), 0)::text as cache_write_5m_price,
           coalesce(max(s.cache_write_1h_price), 0)::text as cache_write_1h_price,
           coalesce(max(greatest(s.output_price, s.reasoning_output_price)), 0)::text as output_price,
           coalesce(max(s.request_price), 0)::text as request_price
    from targets t join run_price_card s on s.run_id = ${runId}::bigint and s.provider = t.provider and s.model = t.model
    group by t.provider, t.name, s.service_tier`.execute(db);
  return rows;
}

/** A candidate record with what its exact price and its row in the sheet need, as read by the scan. */
interface CandidateRecord {
  request_id: string;
  ts: string;
  provider_response_id: string | null;
  provider: string;
  response_model: string;
  service: string | null;
  workflow: string | null;
  status: string;
  attempt: number | null;
  service_tier: string;
  region: string | null;
  input_tokens: string;
  cache_read_input_tokens: string;
  cache_write_5m_input_tokens: string;
  cache_write_1h_input_tokens: string;
  output_tokens: string;
  reasoning_output_tokens: string;
  /** no team tag and no key owner: listed for the team the run charged untagged spend to */
  untagged: boolean;
}

const CANDIDATE_COLUMNS = [
  'provider_response_id', 'provider', 'response_model', 'service', 'workflow', 'status', 'attempt', 'service_tier', 'region',
  'input_tokens', 'cache_read_input_tokens', 'cache_write_5m_input_tokens', 'cache_write_1h_input_tokens', 'output_tokens', 'reasoning_output_tokens',
] as const;

interface TopRequestCandidates {
  candidates: CandidateRecord[];
  total: string;
  /** the highest cost bound among the team's records not in `candidates` (null: none left out) */
  outsideBound: string | null;
}

// Histogram steps of the cost bound: 32 per power of ten (about 7.5% apart) from 10^-12 to 10^6
// dollars (after a first step for anything above 0), and hours for the records whose bound is 0.
// The steps are taken on the bound computed in float8 (cheap; its error, about 10^-15 relative,
// is far below a step), and the second pass keeps one step more than needed, so no record that
// belongs to the list can fall out.
const BOUND_STEPS = [1e-300, ...Array.from({ length: 18 * 32 + 1 }, (_, i) => 10 ** ((i - 12 * 32) / 32))];

/**
 * Per team, the `size` + 1 records with the highest cost bound (by bound, then time and request id)
 * and the earliest `limit` with a bound of 0, for many teams in two scans of the month and no
 * sort of it: the first scan counts each team's records per histogram step of the bound (and per
 * hour for the zero bounds), which gives each team the lowest step it needs; the second keeps the
 * records in the steps from there on (a few thousand per team), which are ranked exactly.
 */
async function selectTopRequestCandidates(
  db: Db,
  bounds: CostBound[],
  ledgerFileIds: readonly string[],
  period: Period,
  teams: string[],
  limit: number,
  size: number,
  untagged?: UntaggedTo,
): Promise<Map<string, TopRequestCandidates>> {
  const { start, end } = periodBounds(period);
  const column = (name: keyof CostBound) => bounds.map((b) => b[name]);
  const prices = ['input_price', 'cached_input_price', 'cache_write_5m_price', 'cache_write_1h_price', 'output_price', 'request_price'] as const;
  const quantities = [
    'greatest(l.input_tokens - l.cache_read_input_tokens - l.cache_write_5m_input_tokens - l.cache_write_1h_input_tokens, 0)',
    'greatest(l.cache_read_input_tokens, 0)',
    'greatest(l.cache_write_5m_input_tokens, 0)',
    'greatest(l.cache_write_1h_input_tokens, 0)',
    'greatest(l.output_tokens, 0)',
  ];
  const bound = (cast: string, suffix: string) =>
    sql.raw(`coalesce((${quantities.map((q, i) => `${q}${cast} * b.${prices[i]}${suffix}`).join(' + ')}) / 1000000 + b.request_price${suffix}, 0)`);
  // One histogram key per record, its expression written once so it is computed once: the step
  // of a bound above 0 (1, 2, ...), else minus the hour of the record (≤ 0).
  const step = sql`coalesce(nullif(width_bucket(${bound('::float8', '_f')}, ${BOUND_STEPS}::float8[]), 0)::bigint, -floor(extract(epoch from l.ts) / 3600)::bigint)`;
  // Parameters, not CTEs, so every worker of the parallel scan joins the bounds itself.
  // the record's owner: its team tag, else its key's team, else (untagged) the team the run charged
  // the provider's untagged spend to, if that team is asked for
  const toBucket = untagged && teams.includes(untagged.team) && untagged.providers.length > 0
    ? sql`, case when l.provider = any(${[...untagged.providers]}::text[]) then ${untagged.team}::text end`
    : sql``;
  const owner = sql`coalesce(l.team, g.team${toBucket})`;
  const records = sql`
    select ${owner} as team, l.request_id, l.ts, ${bound('', '')} as bound, ${step} as step,
           (l.team is null and g.team is null) as untagged,
           ${sql.join(CANDIDATE_COLUMNS.map((c) => sql.ref(`l.${c}`)))}
    from ledger_record l
    left join gateway_key_owner g on g.gateway_key_id = l.gateway_key_id
    left join unnest(${column('provider')}::text[], ${column('name')}::text[], ${column('service_tier')}::text[],
      ${sql.join(prices.map((p) => sql`${column(p)}::numeric[]`))}, ${sql.join(prices.map((p) => sql`${column(p)}::float8[]`))})
      as b (provider, name, service_tier, ${sql.raw(prices.join(', '))}, ${sql.raw(prices.map((p) => `${p}_f`).join(', '))})
      on b.provider = l.provider and b.name = l.response_model and b.service_tier = l.service_tier
    where l.ts >= ${start.toISOString()}::timestamptz and l.ts < ${end.toISOString()}::timestamptz
      -- an array, not a join: the planner then expects most records to pass, as they do, and
      -- counts the histogram in the workers (a partial aggregate) instead of in the leader;
      -- the run's own files, so the sheet of a run never changes when a file is replaced
      and l.ingested_file_id = any(${ledgerFileIds}::bigint[])
      and ${owner} = any(${teams}::text[])`;
  const { rows: histogram } = await sql<{ team: string; step: string; records: string }>`
    select r.team, r.step::text as step, count(*)::text as records from (${records}) r group by 1, 2`.execute(db);
  const found = new Map<string, TopRequestCandidates>();
  const kept: { team: string; step: string }[] = [];
  for (const team of teams) {
    const own = histogram.filter((h) => h.team === team).map((h) => ({ step: Number(h.step), records: Number(h.records) }));
    if (own.length === 0) continue;
    found.set(team, { candidates: [], total: String(own.reduce((sum, h) => sum + h.records, 0)), outsideBound: null });
    const positive = own.filter((h) => h.step > 0).sort((x, y) => y.step - x.step);
    const zero = own.filter((h) => h.step <= 0).sort((x, y) => y.step - x.step);
    const lowest = lowestStep(positive, size + 1);
    const latest = lowestStep(zero, limit);
    for (const h of positive) if (lowest !== null && h.step >= lowest - 1) kept.push({ team, step: String(h.step) });
    for (const h of zero) if (latest !== null && h.step >= latest) kept.push({ team, step: String(h.step) });
  }
  if (kept.length === 0) return found;
  const { rows } = await sql<CandidateRecord & { team: string; kind: 'top' | 'zero'; value: string | null }>`
    select team, kind, request_id, ts::text as ts, value, untagged, ${sql.join(CANDIDATE_COLUMNS.map((c) => sql.ref(c)))} from (
      select r.team, case when r.bound > 0 then 'top' else 'zero' end as kind, r.request_id, r.ts, r.untagged,
             case when r.bound > 0 then r.bound::text end as value, ${sql.join(CANDIDATE_COLUMNS.map((c) => sql.ref(`r.${c}`)))},
             row_number() over (partition by r.team, r.bound > 0 order by case when r.bound > 0 then r.bound end desc, r.ts, r.request_id) as rank
      from (${records}) r
      join unnest(${kept.map((k) => k.team)}::text[], ${kept.map((k) => k.step)}::bigint[]) as k (team, step)
        on k.team = r.team and k.step = r.step) ranked
    where (kind = 'top' and rank <= ${size + 1}) or (kind = 'zero' and rank <= ${limit})
    order by team, kind, rank`.execute(db);
  for (const [team, entry] of found) {
    const own = rows.filter((r) => r.team === team);
    const top = own.filter((r) => r.kind === 'top');
    const outside = top.length > size ? top[size]! : null;
    entry.candidates = [...top.slice(0, size), ...own.filter((r) => r.kind === 'zero')].map(({ team: _team, kind: _kind, value: _value, ...record }) => record);
    entry.outsideBound = outside?.value ?? null;
  }
  return found;
}

/**
 * The step from which on (steps in descending order: highest bound, or earliest hour as minus
 * the hour) at least `wanted` records are counted; the last step when there are fewer; null when
 * there are none.
 */
function lowestStep(steps: { step: number; records: number }[], wanted: number): number | null {
  let seen = 0;
  for (const { step, records } of steps) {
    seen += records;
    if (seen >= wanted) return step;
  }
  return steps.length > 0 ? steps[steps.length - 1]!.step : null;
}

/**
 * Prices the candidate records exactly by the one price rule (src/pricing/price-slots.ts) against
 * the run's own price slots, so a request costs here what it cost in the run, and keeps the top
 * `limit`. The records come with the columns the scan read, so the ledger is not visited again.
 */
async function priceTopRequests(db: Db, runId: string, candidates: CandidateRecord[], limit: number): Promise<TopRequestRow[]> {
  if (candidates.length === 0) return [];
  const column = (name: keyof CandidateRecord) => candidates.map((c) => c[name]);
  const slot = slotOfRecord({
    slots: sql`run_price_card`,
    where: (s) => sql`${s}.run_id = ${runId}::bigint`,
    provider: sql`r.provider`,
    writtenModel: sql`r.response_model`,
    canonicalModel: sql`r.model`,
    serviceTier: sql`r.service_tier`,
    region: pricingRegionSql(sql`r.provider`, sql`r.response_model`, sql`r.region`),
    at: sql`r.ts`,
    inputTokens: sql`r.input_tokens`,
  }, 'tr');
  const cost = (category: Parameters<typeof categoryCostSql>[0], quantity: string) =>
    sql`coalesce(case when ${sql.raw(quantity)} > 0 then ${categoryCostSql(category, 'p', sql.raw(quantity), category === 'output' ? sql`r.reasoning_output_tokens` : undefined)} end, 0)`;
  const { rows } = await sql<TopRequestRow>`
    with chosen as (
      select * from unnest(
        ${column('request_id')}::text[], ${column('ts')}::timestamptz[], ${column('provider_response_id')}::text[], ${column('provider')}::text[],
        ${column('response_model')}::text[], ${column('service')}::text[], ${column('workflow')}::text[], ${column('status')}::text[],
        ${column('attempt')}::integer[], ${column('service_tier')}::text[], ${column('region')}::text[], ${column('input_tokens')}::bigint[],
        ${column('cache_read_input_tokens')}::bigint[], ${column('cache_write_5m_input_tokens')}::bigint[], ${column('cache_write_1h_input_tokens')}::bigint[],
        ${column('output_tokens')}::bigint[], ${column('reasoning_output_tokens')}::bigint[], ${column('untagged')}::boolean[])
      as l (request_id, ts, provider_response_id, provider, response_model, service, workflow, status, attempt, service_tier, region,
            input_tokens, cache_read_input_tokens, cache_write_5m_input_tokens, cache_write_1h_input_tokens, output_tokens, reasoning_output_tokens, untagged)),
    recs as (
      select l.*, ${canonicalModelSql(sql`l.provider`, sql`l.response_model`, sql`l.ts`)} as model,
             l.input_tokens - l.cache_read_input_tokens - l.cache_write_5m_input_tokens - l.cache_write_1h_input_tokens as uncached
      from chosen l),
    priced as (
      select r.*, p.input_version_id, p.output_version_id, p.request_version_id,
             -- a record the run could not price (unknown tier, negative uncached input) costs 0 there too
             case when r.service_tier not in ${sql.raw(`(${SERVICE_TIERS.map((t) => `'${t}'`).join(', ')})`)} or r.uncached < 0 then 0
                  else ${cost('input', 'r.uncached')} + ${cost('cached_input', 'r.cache_read_input_tokens')}
                     + ${cost('cache_write_5m', 'r.cache_write_5m_input_tokens')} + ${cost('cache_write_1h', 'r.cache_write_1h_input_tokens')}
                     + ${cost('output', 'r.output_tokens')} + coalesce(p.request_price, 0) end as cost
      from recs r
      ${slot.joins}
      left join run_price_card p on p.run_id = ${runId}::bigint and p.slot_id = ${slot.slotId})
    select r.request_id, r.provider_response_id, r.ts, r.provider, r.model, r.service, r.workflow, r.status, r.attempt,
           r.uncached::text as input_tokens, r.cache_read_input_tokens::text as cached_input_tokens,
           r.cache_write_5m_input_tokens::text as cache_write_5m_tokens, r.cache_write_1h_input_tokens::text as cache_write_1h_tokens,
           r.output_tokens::text, r.reasoning_output_tokens::text as reasoning_tokens, v.card_version,
           r.cost::text as cost, case when r.untagged then 'untagged' else 'own' end as records_of
    from priced r
    left join rate_card_version v on v.id = coalesce(r.input_version_id, r.output_version_id, r.request_version_id)
    order by r.cost desc, r.ts, r.request_id
    limit ${limit}`.execute(db);
  return rows;
}

export interface IssueRow {
  id: string;
  issued_at: Date;
  path: string;
  sha256: string;
}

/** The first issue of this workbook for this run: the dispute window runs from it, even on reissue. */
export async function selectFirstIssue(db: Db, runId: string, kind: 'allocation' | 'dispute', team: string | null): Promise<IssueRow | undefined> {
  const { rows } = await sql<IssueRow>`
    select id::text, issued_at, path, sha256 from workbook_issue
    where run_id = ${runId}::bigint and kind = ${kind} and team is not distinct from ${team}::text
    order by issued_at, id limit 1`.execute(db);
  return rows[0];
}

/** Records an issue unless the same file (path and bytes) was already recorded for the run. */
export async function insertWorkbookIssue(
  db: Db,
  row: { period: string; runId: string; kind: 'allocation' | 'dispute'; team: string | null; path: string; sha256: string; issuedAt: Date },
): Promise<void> {
  await sql`
    insert into workbook_issue (period, run_id, kind, team, path, sha256, issued_at)
    select ${row.period}, ${row.runId}::bigint, ${row.kind}, ${row.team}::text, ${row.path}, ${row.sha256}, ${row.issuedAt.toISOString()}::timestamptz
    where not exists (
      select 1 from workbook_issue where run_id = ${row.runId}::bigint and kind = ${row.kind}
        and team is not distinct from ${row.team}::text and path = ${row.path} and sha256 = ${row.sha256})`.execute(db);
}
