import path from 'node:path';
import { exportFocus, writeFocusCsv } from '../src/export/export-focus.ts';
import type { Logger } from '../src/log.ts';
import type { Period } from '../src/period.ts';
import { closePeriod } from '../src/run/close-period.ts';
import { selectPeriod } from '../src/run/queries.ts';
import { runPeriod } from '../src/run/run-period.ts';
import type { JobContext } from './context.ts';
import type { JobResult } from './runner.ts';

/**
 * Month-end close of `period`: the final run, its allocation and dispute workbooks, its FOCUS export, and the
 * period marked closed. An already closed period is left as it is.
 */
export async function monthEndCloseJob(context: JobContext, period: Period, log: Logger): Promise<JobResult> {
  const periodRow = await selectPeriod(context.store.db, period);
  if (periodRow?.status === 'closed') {
    return { counts: { period, closed: 'already closed', closed_by_run: periodRow.closed_by_run } };
  }
  const outcome = await runPeriod(context.store, {
    period,
    trigger: 'month-end',
    // a close posts numbers: a month missing its ledger, invoice, card or owners fails the job instead
    requireComplete: true,
    settings: context.settings,
    policy: context.policy,
    log,
    reconcile: context.reconcile,
  });
  const files = await context.writeWorkbooks(context.store, { period, runId: outcome.run_id, outDir: context.config.outDir, teams: 'all' });
  // the FOCUS 1.3 export beside the workbooks (issue #20), before the close so a failure leaves the period open
  const focus = writeFocusCsv(await exportFocus(context.store, { period, runId: outcome.run_id }), path.join(context.config.outDir, `focus-${period}.csv`));
  // closed on the run this job made and wrote the workbooks and export of, not on whatever is current by now
  const closed = await closePeriod(context.store.db, period, 'month-end job', outcome.run_id);
  return {
    counts: { period, run_id: outcome.run_id, workbooks: files.map((f) => f.path), focus_export: focus.path, closed_by_run: closed.closed_by_run, invoice_total: outcome.invoice_total },
    runId: outcome.run_id,
  };
}
