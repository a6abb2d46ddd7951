import { printResult, UserError } from "../src/command-context.js";
import { isPeriod, parsePeriod, periodOf, previousPeriod } from "../src/period.js";
import { loadSettings } from "../src/settings.js";
import { loadPolicy } from "../src/allocate/policy.js";
import { writeWorkbooks } from "../src/serve/workbook-files.js";
import { ingestWithSettings } from "./ingest-adapter.js";
import { selectJobRuns } from "./runner.js";
import { JOB_KINDS, JOBS, nextRuns, nightlyPeriod } from "./schedule.js";
import { catchUp, runScheduled, startWorker } from "./worker.js";
export async function jobContext(context) {
    const settings = loadSettings(context.config.configFile);
    return {
        store: await context.store(),
        config: context.config,
        settings,
        policy: loadPolicy(context.config.policyFile),
        log: context.log,
        ingest: ingestWithSettings(settings),
        writeWorkbooks,
    };
}
export function registerJobCommands(program, context) {
    program
        .command('worker')
        .description('run the scheduled jobs (nightly, month-end close) with node-cron; catches up missed runs on start')
        .option('--catch-up-only', 'run what was missed, then exit (for a cron-less host)')
        .option('--no-catch-up', 'do not run missed jobs on start')
        .action(async (options) => {
        const jobs = await jobContext(context);
        if (options.catchUpOnly) {
            const records = await catchUp(jobs, new Date());
            printResult(false, records, () => (records.length === 0 ? 'nothing missed' : records.map((r) => `${r.job}: ${r.status}${r.error ? ` (${r.error})` : ''}`).join('\n')));
            return;
        }
        const worker = await startWorker(jobs, { catchUp: options.catchUp !== false });
        await new Promise((resolve) => {
            const stop = (signal) => {
                context.log.info('worker stopping', { signal });
                void worker.stop().then(resolve);
            };
            process.once('SIGTERM', () => stop('SIGTERM'));
            process.once('SIGINT', () => stop('SIGINT'));
        });
    });
    program
        .command('jobs')
        .description('list recent job runs and when each job runs next')
        .option('--json', 'print as JSON')
        .option('--job <name>', `only this job (${JOB_KINDS.join(', ')})`)
        .option('--limit <n>', 'how many job runs to show', '30')
        .action(async (options) => {
        if (options.job && !JOB_KINDS.includes(options.job))
            throw new UserError(`unknown job "${options.job}"`, `use one of ${JOB_KINDS.join(', ')}`);
        const limit = Number(options.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
            throw new UserError('--limit must be a whole number from 1 to 10000', 'e.g. --limit 50');
        const settings = loadSettings(context.config.configFile);
        const store = await context.store();
        const runs = await selectJobRuns(store, limit, options.job);
        const next = nextRuns(new Date(), settings.schedule).map((r) => ({ job: r.job, scheduled_for: r.scheduledFor.toISOString(), period: r.period, when: JOBS[r.job].when(settings.schedule) }));
        printResult(Boolean(options.json), { next, job_runs: runs }, () => [
            ...next.map((n) => `next ${n.job.padEnd(16)} ${n.scheduled_for}  period ${n.period}  (${n.when})`),
            ...(runs.length === 0 ? ['no job runs yet'] : []),
            ...runs.map((r) => `#${r.id.padEnd(5)} ${r.job.padEnd(16)} ${r.status.padEnd(9)} started ${new Date(r.started_at).toISOString()}${r.scheduled_for ? ` for ${new Date(r.scheduled_for).toISOString()}` : ''}${r.run_id ? ` run ${r.run_id}` : ''}${r.error ? `  ${r.error}` : ''}`),
        ].join('\n'));
    });
    program
        .command('job')
        .description('run one job now: recon job nightly | recon job month-end-close --period YYYY-MM')
        .argument('<name>', `the job (${JOB_KINDS.join(', ')})`)
        .option('--period <YYYY-MM>', 'month-end-close: the month to close (default: last month)')
        .option('--scheduled-for <time>', 'record the run as this scheduled time (RFC 3339), as the worker would')
        .option('--json', 'print the job run as JSON')
        .action(async (name, options) => {
        if (!JOB_KINDS.includes(name))
            throw new UserError(`unknown job "${name}"`, `use one of ${JOB_KINDS.join(', ')}`);
        const job = name;
        let scheduledFor = null;
        if (options.scheduledFor !== undefined) {
            scheduledFor = new Date(options.scheduledFor);
            if (!/^\d{4}-\d{2}-\d{2}T/.test(options.scheduledFor) || Number.isNaN(scheduledFor.getTime())) {
                throw new UserError(`--scheduled-for must be an RFC 3339 time (got "${options.scheduledFor}")`, 'e.g. --scheduled-for 2026-06-01T02:00:00Z');
            }
        }
        if (options.period !== undefined && !isPeriod(options.period))
            throw new UserError(`period must be YYYY-MM (got "${options.period}")`, 'e.g. --period 2026-05');
        if (options.period !== undefined && job === 'nightly')
            throw new UserError('the nightly job reconciles the month holding yesterday; --period is for month-end-close', 'use recon run --period P for another month');
        const jobs = await jobContext(context);
        const at = scheduledFor ?? new Date();
        const period = options.period ? parsePeriod(options.period) : job === 'nightly' ? nightlyPeriod(at) : previousPeriod(periodOf(at));
        // A manual run records no scheduled time, so it does not count for catch-up.
        const record = await runScheduled(jobs, { job, scheduledFor: at, period }, { recordAs: scheduledFor });
        printResult(Boolean(options.json), record, () => `${record.job} job run ${record.job_run_id}: ${record.status}${record.error ? ` — ${record.error}` : ''}${record.run_id ? ` (run ${record.run_id})` : ''}`);
        if (record.status === 'failed')
            process.exitCode = 1;
    });
}
