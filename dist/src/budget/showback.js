import { Decimal, ZERO, money, sum, toCents, toSql } from "../money.js";
import { periodBounds, previousPeriod } from "../period.js";
import { budgetAlerts, dailySpikes } from "./alerts.js";
import { dayText, denseDays, forecastMonth, monthlyDailyRate } from "./forecast.js";
import { UNTAGGED_TEAM, saveShowback, selectCurrentRunId, selectTeamActuals, selectTeamAllocated, selectTeamBudgets, selectTeamDailyCost, } from "./queries.js";
/**
 * Month-to-date showback of one team at `today` (pure): spend to date, run-rate forecast,
 * share of budget used and alerts. Budgets are measured against the priced ledger during the
 * month and against the allocated invoice once the month is over and an invoice was allocated.
 */
export function teamShowback(period, today, input) {
    const { end } = periodBounds(period);
    const pricedToDate = sum(input.daily.map((d) => d.amount));
    const monthOver = today.getTime() >= end.getTime();
    const spendToDate = monthOver && input.allocated !== null ? input.allocated : pricedToDate;
    const forecast = forecastMonth({
        period,
        today,
        daily: input.daily,
        spendToDate,
        priorMonthDailyRate: monthlyDailyRate(input.priorMonthActual, previousPeriod(period)),
    });
    const lastDay = monthOver ? dayText(new Date(end.getTime() - 86_400_000)) : dayText(today);
    const alerts = [...budgetAlerts({ spendToDate, forecast: forecast.forecast, budget: input.budget }), ...dailySpikes(denseDays(period, lastDay, input.daily))];
    const share = (amount) => amount === null || input.budget === null || !input.budget.greaterThan(0) ? null : amount.dividedBy(input.budget).toDecimalPlaces(4, Decimal.ROUND_HALF_UP).toFixed(4);
    return {
        team: input.team,
        cost_center: input.costCenter,
        prior_month_actual: input.priorMonthActual === null ? null : toSql(input.priorMonthActual),
        priced_to_date: toSql(pricedToDate),
        allocated: input.allocated === null ? null : toCents(input.allocated),
        spend_to_date: toSql(spendToDate),
        forecast: forecast.forecast === null ? null : toSql(forecast.forecast),
        forecast_method: forecast.method,
        daily_run_rate: forecast.dailyRunRate === null ? null : toSql(forecast.dailyRunRate),
        complete_days: forecast.completeDays,
        days_in_month: forecast.daysInMonth,
        budget: input.budget === null ? null : toSql(input.budget),
        share_used: share(spendToDate),
        forecast_share: share(forecast.forecast),
        alerts,
    };
}
/**
 * The run's last stage: per team spend to date, forecast, budget and alerts, written to the run
 * (run_team_showback, and run_team_summary where allocation wrote a row) and logged.
 */
export async function computeShowback(db, input) {
    const { runId, period, now, log } = input;
    const priorRunId = await selectCurrentRunId(db, previousPeriod(period));
    // One connection inside the run's transaction: load one after another.
    const daily = await selectTeamDailyCost(db, runId);
    const allocated = await selectTeamAllocated(db, runId);
    const budgets = await selectTeamBudgets(db);
    const prior = priorRunId ? await selectTeamActuals(db, priorRunId) : [];
    const teams = new Set([...daily.map((d) => d.team), ...allocated.map((a) => a.team), ...budgets.map((b) => b.team)]);
    const allocatedByTeam = new Map(allocated.map((a) => [a.team, money(a.allocated)]));
    const budgetByTeam = new Map(budgets.map((b) => [b.team, b]));
    const priorByTeam = new Map(prior.map((p) => [p.team, money(p.actual)]));
    const dailyByTeam = new Map();
    for (const d of daily) {
        const list = dailyByTeam.get(d.team) ?? [];
        list.push({ day: d.day, amount: money(d.cost) });
        dailyByTeam.set(d.team, list);
    }
    const rows = [...teams].sort().map((team) => {
        const owner = budgetByTeam.get(team);
        return teamShowback(period, now, {
            team,
            costCenter: owner?.cost_center ?? null,
            daily: dailyByTeam.get(team) ?? [],
            allocated: allocatedByTeam.get(team) ?? (allocated.length > 0 ? ZERO : null),
            budget: owner?.monthly_budget == null ? null : money(owner.monthly_budget),
            priorMonthActual: priorRunId ? (priorByTeam.get(team) ?? ZERO) : null,
        });
    });
    await saveShowback(db, runId, rows);
    for (const row of rows) {
        for (const alert of row.alerts)
            log.warn('budget alert', { run_id: runId, period, team: row.team, ...alert });
    }
    log.info('showback', {
        run_id: runId,
        period,
        teams: rows.length,
        teams_over_budget: rows.filter((r) => r.alerts.some((a) => a.alert === 'budget_100')).length,
        alerts: rows.reduce((n, r) => n + r.alerts.length, 0),
        untagged_to_date: rows.find((r) => r.team === UNTAGGED_TEAM)?.spend_to_date ?? '0',
    });
}
