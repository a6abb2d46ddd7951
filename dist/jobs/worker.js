import cron from 'node-cron';
import { reapDeadRuns } from "../src/run/run-period.js";
import { monthEndCloseJob } from "./month-end-close.js";
import { nightlyJob } from "./nightly.js";
import { runJob, selectLastScheduled } from "./runner.js";
import { dueAt, missedRuns, parseCron } from "./schedule.js";
/** Runs one scheduled run of a job (recorded in job_run, one at a time across processes). */
export function runScheduled(context, run, options = {}) {
    const recordAs = options.recordAs === undefined ? run.scheduledFor : options.recordAs;
    return runJob(context.store, run.job, recordAs, context.log, (jobLog) => run.job === 'nightly' ? nightlyJob(context, run.scheduledFor, jobLog) : monthEndCloseJob(context, run.period, jobLog));
}
/** Runs what was missed while no worker was up (compared with job_run history). */
export async function catchUp(context, now) {
    await reapDeadRuns(context.store.db, context.log);
    const missed = missedRuns(await selectLastScheduled(context.store), now, context.settings.schedule);
    const records = [];
    for (const run of missed) {
        context.log.info('catching up a missed job run', { job: run.job, scheduled_for: run.scheduledFor.toISOString(), period: run.period });
        records.push(await runScheduled(context, run));
    }
    return records;
}
/**
 * The long-running worker: catches up, then lets node-cron fire the nightly job (its cron
 * expression) and a daily check at the month-end time that runs the close on its business day.
 */
export async function startWorker(context, options = {}) {
    const { schedule } = context.settings;
    parseCron(schedule.nightly);
    if (!cron.validate(schedule.nightly))
        throw new Error(`schedule.nightly "${schedule.nightly}" is not a valid cron expression`);
    let inFlight = Promise.resolve();
    const enqueue = (work) => {
        // Jobs of one worker run one after another; the advisory locks keep workers apart.
        inFlight = inFlight.then(work).catch((error) => context.log.error('job crashed', { error: error.message }));
        return inFlight;
    };
    if (options.catchUp !== false)
        await enqueue(() => catchUp(context, new Date()));
    const [hh, mm] = schedule.monthEndTime.split(':').map(Number);
    const tasks = [
        cron.schedule(schedule.nightly, () => {
            const run = dueAt('nightly', new Date(), schedule);
            if (run)
                void enqueue(() => runScheduled(context, run));
        }, { timezone: schedule.timezone, name: 'recon-nightly', noOverlap: true }),
        cron.schedule(`${mm} ${hh} * * *`, () => {
            const run = dueAt('month-end-close', new Date(), schedule);
            if (run)
                void enqueue(() => runScheduled(context, run));
        }, { timezone: schedule.timezone, name: 'recon-month-end-close', noOverlap: true }),
    ];
    context.log.info('worker started', { nightly: schedule.nightly, month_end: `business day ${schedule.monthEndBusinessDay} at ${schedule.monthEndTime}`, timezone: schedule.timezone });
    return {
        async stop() {
            for (const task of tasks)
                await task.stop();
            await inFlight;
        },
        idle: () => inFlight.then(() => undefined),
    };
}
