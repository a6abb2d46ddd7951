import { runPeriod } from "../src/run/run-period.js";
import { selectPeriod } from "../src/run/queries.js";
import { ingestInbox } from "./inbox.js";
import { nightlyPeriod } from "./schedule.js";
/**
 * Nightly: ingest new inbox files, then reconcile the month to date (the month holding
 * yesterday). A closed month is not rerun by the night job.
 */
export async function nightlyJob(context, scheduledFor, log) {
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
