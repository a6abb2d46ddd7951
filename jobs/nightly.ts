import { runPeriod } from '../src/run/run-period.ts';
import { selectPeriod } from '../src/run/queries.ts';
import type { Logger } from '../src/log.ts';
import type { JobContext } from './context.ts';
import { ingestInbox } from './inbox.ts';
import type { JobResult } from './runner.ts';
import { nightlyPeriod } from './schedule.ts';

/**
 * Nightly: ingest new inbox files, then reconcile the month to date (the month holding
 * yesterday). A closed month is not rerun by the night job.
 */
export async function nightlyJob(context: JobContext, scheduledFor: Date, log: Logger): Promise<JobResult> {
  const inbox = await ingestInbox(context.store, context.config.inboxDir, context.ingest, log);
  const period = nightlyPeriod(scheduledFor);
  const periodRow = await selectPeriod(context.store.db, period);
  if (periodRow?.status === 'closed') {
    return { counts: { ...inbox, period, run: 'skipped: period is closed' } };
  }
  const outcome = await runPeriod(context.store, {
    period,
    trigger: 'nightly',
    settings: context.settings,
    policy: context.policy,
    log,
    reconcile: context.reconcile,
    now: scheduledFor,
  });
  return {
    counts: { ...inbox, period, run_id: outcome.run_id, no_change: outcome.no_change, invoice_total: outcome.invoice_total, ledger_total: outcome.ledger_total },
    runId: outcome.run_id,
  };
}
