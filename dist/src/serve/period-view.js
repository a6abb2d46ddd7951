import { previousPeriod } from "../period.js";
import { monthOverMonth } from "../allocate/mix-effects.js";
import { selectWorkflowModelCosts } from "../allocate/month-over-month.js";
import { selectVarianceSummary } from "../explain/variance-summary.js";
import { selectDailyVariance } from "../reconcile/queries.js";
import { selectCurrentRun, selectPeriod, selectPeriods } from "../run/queries.js";
import { runInputFileIds } from "../workbooks/allocation-sheets.js";
import { selectCauseDetail, selectProviderFigures, selectTeamFigures } from "../workbooks/queries.js";
// The months of history the period page compares (the current month and the ones before it).
const HISTORY_MONTHS = 6;
/** The period page's data, or undefined when the period has no succeeded run. */
export async function loadPeriodView(db, period) {
    const run = await selectCurrentRun(db, period);
    if (!run)
        return undefined;
    const previous = previousPeriod(period);
    const previousRun = await selectCurrentRun(db, previous);
    const [row, providers, variance, causeDetail, teams, daily, periods, current, before] = await Promise.all([
        selectPeriod(db, period),
        selectProviderFigures(db, run.id, period, runInputFileIds(run.inputs, 'invoice')),
        selectVarianceSummary(db, run.id),
        selectCauseDetail(db, run.id),
        selectTeamFigures(db, run.id),
        selectDailyVariance(db, run.id),
        selectPeriods(db),
        selectWorkflowModelCosts(db, run.id),
        previousRun ? selectWorkflowModelCosts(db, previousRun.id) : Promise.resolve([]),
    ]);
    const history = [];
    for (const p of periods.filter((p) => p.period <= period && p.current_run_id).slice(0, HISTORY_MONTHS)) {
        const summary = p.period === period ? run.summary : (await selectCurrentRun(db, p.period))?.summary;
        if (summary)
            history.push({ period: p.period, run_id: p.current_run_id, invoice: summary.invoice_total, ledger: summary.ledger_total, variance: summary.variance });
    }
    history.reverse();
    return {
        period,
        row,
        run,
        summary: run.summary,
        providers,
        variance,
        causeDetail,
        teams,
        daily,
        history,
        monthOverMonth: { previousPeriod: previous, previousRunId: previousRun?.id, rows: monthOverMonth(before, current) },
    };
}
