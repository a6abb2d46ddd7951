import { sql } from 'kysely';
import { buildWaterfall } from "./waterfall.js";
/**
 * The stored variance of a run as a waterfall: invoice total → each cause → priced ledger total,
 * with the cells over tolerance (money as strings). Read from the run's results only, so it is
 * the same every time it is asked. With a model, invoice lines that belong to no cell (credits,
 * tax, unmapped lines) are left out: they belong to no model.
 */
export async function selectVarianceSummary(db, runId, filter = {}) {
    const provider = filter.provider === undefined ? sql `true` : sql `provider = ${filter.provider}`;
    const model = filter.model === undefined ? sql `true` : sql `model = ${filter.model}`;
    const providerLevel = filter.model === undefined ? sql `true` : sql `false`;
    const totals = await sql `
    select
      ((select coalesce(sum(invoice_amount), 0) from run_variance_cell where run_id = ${runId}::bigint and ${provider} and ${model})
       + (select coalesce(sum(amount), 0) from run_variance_cause
          where run_id = ${runId}::bigint and cells_affected = 0 and model is null and ${provider} and ${providerLevel}))::text as invoice_total,
      (select coalesce(sum(ledger_amount), 0) from run_variance_cell where run_id = ${runId}::bigint and ${provider} and ${model})::text as ledger_total`.execute(db);
    const causes = await sql `
    with parts as (
      select cause, sum(amount) as amount, sum(quantity) filter (where effect = 'volume') as quantity,
             count(distinct provider || '|' || model || '|' || token_category || '|' || service_tier || '|' || day::text) as cells
      from run_variance_cell_cause where run_id = ${runId}::bigint and ${provider} and ${model}
      group by cause
      union all
      select cause, sum(amount), sum(quantity), 0
      from run_variance_cause
      where run_id = ${runId}::bigint and cells_affected = 0 and model is null and ${provider} and ${providerLevel}
      group by cause
    ),
    evidence as (
      select cause, sum(record_count) as records, (array_agg(detail order by abs(amount) desc, detail))[1] as detail
      from run_variance_cause where run_id = ${runId}::bigint and ${provider} and (${model} or ${filter.model === undefined ? sql `true` : sql `model is null and cells_affected > 0`})
      group by cause
    )
    select p.cause, sum(p.amount)::text as amount, sum(p.quantity)::text as quantity, sum(p.cells)::text as cells_affected,
           coalesce(max(e.records), 0)::text as record_count, max(e.detail) as detail
    from parts p left join evidence e using (cause)
    group by p.cause
    order by p.cause`.execute(db);
    const cells = await sql `
    select provider, model, token_category, service_tier, day::text as day, status,
           invoice_amount::text, ledger_amount::text, variance_amount::text, variance_pct::text
    from run_variance_cell
    where run_id = ${runId}::bigint and status <> 'ok' and ${provider} and ${model}
    order by abs(variance_amount) desc, provider, model, token_category, service_tier, day`.execute(db);
    return buildWaterfall({ ...totals.rows[0], causes: causes.rows, cells_over_tolerance: cells.rows });
}
/** The run `recon explain` reads: the given one, else the period's latest succeeded run. */
export async function selectExplainRun(db, input) {
    let query = db.selectFrom('run').select(['id', 'period', 'status']);
    query = input.runId !== undefined ? query.where('id', '=', input.runId) : query.where('period', '=', input.period).where('status', '=', 'succeeded').orderBy('id', 'desc').limit(1);
    return query.executeTakeFirst();
}
/** Providers and models that have variance cells in a run, to tell the user what exists. */
export async function selectRunScopes(db, runId) {
    const rows = await db.selectFrom('run_variance_cell').select(['provider', 'model']).distinct().where('run_id', '=', runId).orderBy('provider').orderBy('model').execute();
    return { providers: [...new Set(rows.map((r) => r.provider))], models: [...new Set(rows.map((r) => r.model))] };
}
