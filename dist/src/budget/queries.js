import { sql } from 'kysely';
// Name used for spend nobody owns, in showback rows and sheets.
export const UNTAGGED_TEAM = '(untagged)';
/** Priced cost per team and UTC day of one run (teams × days rows, small). */
export async function selectTeamDailyCost(db, runId) {
    const { rows } = await sql `
    select coalesce(team, ${UNTAGGED_TEAM}) as team, day, sum(cost) as cost
    from run_cost_cube where run_id = ${runId}
    group by 1, 2 order by 1, 2`.execute(db);
    return rows;
}
/** What the run allocated to each team (only when the run had an invoice to allocate). */
export async function selectTeamAllocated(db, runId) {
    const { rows } = await sql `
    select team, sum(amount) as allocated from run_allocation where run_id = ${runId} group by team order by team`.execute(db);
    return rows;
}
export async function selectTeamBudgets(db) {
    const { rows } = await sql `
    select team, cost_center, monthly_budget from team_owner order by team`.execute(db);
    return rows;
}
/** The period's current run: its latest succeeded run. */
export async function selectCurrentRunId(db, period) {
    const { rows } = await sql `
    select id from run where period = ${period} and status = 'succeeded' order by id desc limit 1`.execute(db);
    return rows[0]?.id;
}
/** A finished run's actual per team: allocated where it allocated, else its priced cost. */
export async function selectTeamActuals(db, runId) {
    const { rows } = await sql `
    with priced as (
      select coalesce(team, ${UNTAGGED_TEAM}) as team, sum(cost) as cost from run_cost_cube where run_id = ${runId} group by 1
    ), allocated as (
      select team, sum(amount) as amount from run_allocation where run_id = ${runId} group by team
    )
    select coalesce(a.team, p.team) as team,
           case when exists (select 1 from run_allocation where run_id = ${runId}) then coalesce(a.amount, 0) else p.cost end as actual
    from allocated a full join priced p on p.team = a.team
    order by 1`.execute(db);
    return rows;
}
/** Writes the run's showback rows in one statement; budget, forecast and alerts also go onto run_team_summary rows that exist. */
export async function saveShowback(db, runId, rows) {
    if (rows.length === 0)
        return;
    const payload = JSON.stringify(rows);
    await sql `
    insert into run_team_showback (run_id, team, cost_center, prior_month_actual, priced_to_date, allocated, spend_to_date,
      forecast, forecast_method, daily_run_rate, complete_days, days_in_month, budget, share_used, forecast_share, alerts)
    select ${runId}::bigint, v.team, v.cost_center, v.prior_month_actual::numeric, v.priced_to_date::numeric, v.allocated::numeric,
      v.spend_to_date::numeric, v.forecast::numeric, v.forecast_method, v.daily_run_rate::numeric, v.complete_days, v.days_in_month,
      v.budget::numeric, v.share_used::numeric, v.forecast_share::numeric, v.alerts
    from jsonb_to_recordset(${payload}::jsonb) as v(team text, cost_center text, prior_month_actual text, priced_to_date text,
      allocated text, spend_to_date text, forecast text, forecast_method text, daily_run_rate text, complete_days integer,
      days_in_month integer, budget text, share_used text, forecast_share text, alerts jsonb)`.execute(db);
    await sql `
    update run_team_summary s
    set budget = v.budget::numeric, forecast = v.forecast::numeric, alerts = v.alerts
    from jsonb_to_recordset(${payload}::jsonb) as v(team text, budget text, forecast text, alerts jsonb)
    where s.run_id = ${runId} and s.team = v.team`.execute(db);
}
export async function selectShowback(db, runId) {
    const { rows } = await sql `
    select team, cost_center, prior_month_actual, priced_to_date, allocated, spend_to_date, forecast, forecast_method,
           daily_run_rate, complete_days, days_in_month, budget, share_used, forecast_share, alerts
    from run_team_showback where run_id = ${runId}
    order by team = ${UNTAGGED_TEAM}, team`.execute(db);
    return rows;
}
