import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { previousPeriod, type Period } from '../period.ts';
import { monthOverMonth, type MonthOverMonthRow } from '../allocate/mix-effects.ts';
import { selectWorkflowModelCosts } from '../allocate/month-over-month.ts';
import { selectVarianceSummary } from '../explain/variance-summary.ts';
import type { VarianceSummary } from '../explain/waterfall.ts';
import { selectDailyVariance } from '../reconcile/queries.ts';
import { selectCurrentRun, selectPeriod, selectPeriods, type PeriodRow, type RunRow } from '../run/queries.ts';
import type { RunSummary } from '../run/summary.ts';
import { runInputFileIds } from '../workbooks/allocation-sheets.ts';
import { selectCommitmentHourBands, type CommitmentBandRow } from '../commitments/queries.ts';
import { selectCauseDetail, selectProviderFigures, selectTeamFigures, type CauseDetailRow, type ProviderFigures, type TeamFigures } from '../workbooks/queries.ts';

type Db = Kysely<Database>;

// The months of history the period page compares (the current month and the ones before it).
const HISTORY_MONTHS = 6;

/** Everything the period page shows, read from the current run's stored results. */
export interface PeriodView {
  period: Period;
  row: PeriodRow | undefined;
  run: RunRow;
  summary: RunSummary;
  providers: ProviderFigures[];
  variance: VarianceSummary;
  causeDetail: CauseDetailRow[];
  teams: TeamFigures[];
  daily: { day: string; invoice: string; ledger: string; variance: string }[];
  history: { period: string; run_id: string; invoice: string; ledger: string; variance: string }[];
  monthOverMonth: { previousPeriod: Period; previousRunId: string | undefined; rows: MonthOverMonthRow[] };
  /** the run's commitment hours by commitment and UTC hour band (none: no commitment billed) */
  commitments?: CommitmentBandRow[];
}

/** The period page's data, or undefined when the period has no succeeded run. */
export async function loadPeriodView(db: Db, period: Period): Promise<PeriodView | undefined> {
  const run = await selectCurrentRun(db, period);
  if (!run) return undefined;
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
  const history: PeriodView['history'] = [];
  for (const p of periods.filter((p) => p.period <= period && p.current_run_id).slice(0, HISTORY_MONTHS)) {
    const summary = p.period === period ? (run.summary as RunSummary) : ((await selectCurrentRun(db, p.period as Period))?.summary as RunSummary | undefined);
    if (summary) history.push({ period: p.period, run_id: p.current_run_id!, invoice: summary.invoice_total, ledger: summary.ledger_total, variance: summary.variance });
  }
  history.reverse();
  return {
    period,
    row,
    run,
    summary: run.summary as RunSummary,
    providers,
    variance,
    causeDetail,
    teams,
    daily,
    history,
    monthOverMonth: { previousPeriod: previous, previousRunId: previousRun?.id, rows: monthOverMonth(before, current) },
    commitments: await selectCommitmentHourBands(db, run.id),
  };
}
