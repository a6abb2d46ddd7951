import cron, { type ScheduledTask } from 'node-cron';
import { reapDeadRuns } from '../src/run/run-period.ts';
import type { JobContext } from './context.ts';
import { monthEndCloseJob } from './month-end-close.ts';
import { nightlyJob } from './nightly.ts';
import { runJob, selectLastScheduled, type JobRunRecord } from './runner.ts';
import { dueAt, missedRuns, parseCron, type ScheduledRun } from './schedule.ts';

/** Runs one scheduled run of a job (recorded in job_run, one at a time across processes). */
export function runScheduled(context: JobContext, run: ScheduledRun, options: { recordAs?: Date | null } = {}): Promise<JobRunRecord> {
  const recordAs = options.recordAs === undefined ? run.scheduledFor : options.recordAs;
  return runJob(context.store, run.job, recordAs, context.log, (jobLog) =>
    run.job === 'nightly' ? nightlyJob(context, run.scheduledFor, jobLog) : monthEndCloseJob(context, run.period, jobLog),
  );
}

/** Runs what was missed while no worker was up (compared with job_run history). */
export async function catchUp(context: JobContext, now: Date): Promise<JobRunRecord[]> {
  await reapDeadRuns(context.store.db, context.log);
  const missed = missedRuns(await selectLastScheduled(context.store), now, context.settings.schedule);
  const records: JobRunRecord[] = [];
  for (const run of missed) {
    context.log.info('catching up a missed job run', { job: run.job, scheduled_for: run.scheduledFor.toISOString(), period: run.period });
    records.push(await runScheduled(context, run));
  }
  return records;
}

export interface Worker {
  stop(): Promise<void>;
  /** settles when the jobs in progress have finished */
  idle(): Promise<void>;
}

/**
 * The long-running worker: catches up, then lets node-cron fire the nightly job (its cron
 * expression) and a daily check at the month-end time that runs the close on its business day.
 */
export async function startWorker(context: JobContext, options: { catchUp?: boolean } = {}): Promise<Worker> {
  const { schedule } = context.settings;
  parseCron(schedule.nightly);
  if (!cron.validate(schedule.nightly)) throw new Error(`schedule.nightly "${schedule.nightly}" is not a valid cron expression`);
  let inFlight: Promise<unknown> = Promise.resolve();
  const enqueue = (work: () => Promise<unknown>) => {
    // Jobs of one worker run one after another; the advisory locks keep workers apart.
    inFlight = inFlight.then(work).catch((error) => context.log.error('job crashed', { error: (error as Error).message }));
    return inFlight;
  };
  if (options.catchUp !== false) await enqueue(() => catchUp(context, new Date()));
  const [hh, mm] = schedule.monthEndTime.split(':').map(Number) as [number, number];
  const tasks: ScheduledTask[] = [
    cron.schedule(
      schedule.nightly,
      () => {
        const run = dueAt('nightly', new Date(), schedule);
        if (run) void enqueue(() => runScheduled(context, run));
      },
      { timezone: schedule.timezone, name: 'recon-nightly', noOverlap: true },
    ),
    cron.schedule(
      `${mm} ${hh} * * *`,
      () => {
        const run = dueAt('month-end-close', new Date(), schedule);
        if (run) void enqueue(() => runScheduled(context, run));
      },
      { timezone: schedule.timezone, name: 'recon-month-end-close', noOverlap: true },
    ),
  ];
  context.log.info('worker started', { nightly: schedule.nightly, month_end: `business day ${schedule.monthEndBusinessDay} at ${schedule.monthEndTime}`, timezone: schedule.timezone });
  return {
    async stop() {
      for (const task of tasks) await task.stop();
      await inFlight;
    },
    idle: () => inFlight.then(() => undefined),
  };
}
