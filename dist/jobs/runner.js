import { sql } from 'kysely';
import { JOB_LOCK } from "../src/run/queries.js";
const JOB_KEYS = { nightly: 1, 'month-end-close': 2 };
/** Job kinds running in this process: PGlite has one session, where advisory locks are reentrant. */
const runningHere = new Set();
/**
 * One job of a kind at a time across processes: a session advisory lock per kind. On a server
 * the lock lives on a dedicated connection for the job's whole life (a killed worker's lock goes
 * with its connection); on the embedded store one process owns the database, so an in-process
 * guard plus the lock suffice.
 */
async function tryLockJob(store, job) {
    if (runningHere.has(job))
        return undefined;
    // Claimed before the first await, so two starts in this process cannot both pass the check.
    runningHere.add(job);
    const key = JOB_KEYS[job];
    if (store.pgPool) {
        let client;
        try {
            client = await store.pgPool.connect();
            const { rows } = await client.query('select pg_try_advisory_lock($1::int, $2::int) as ok', [JOB_LOCK, key]);
            if (!rows[0]?.ok) {
                client.release();
                runningHere.delete(job);
                return undefined;
            }
        }
        catch (error) {
            client?.release();
            runningHere.delete(job);
            throw error;
        }
        const held = client;
        return {
            async release() {
                runningHere.delete(job);
                try {
                    await held.query('select pg_advisory_unlock($1::int, $2::int)', [JOB_LOCK, key]);
                    held.release();
                }
                catch (error) {
                    held.release(error);
                }
            },
        };
    }
    const { rows } = await sql `select pg_try_advisory_lock(${JOB_LOCK}::int, ${key}::int) as ok`.execute(store.db).catch((error) => {
        runningHere.delete(job);
        throw error;
    });
    if (!rows[0]?.ok) {
        runningHere.delete(job);
        return undefined;
    }
    return {
        async release() {
            runningHere.delete(job);
            await sql `select pg_advisory_unlock(${JOB_LOCK}::int, ${key}::int)`.execute(store.db);
        },
    };
}
async function recordSkipped(store, job, scheduledFor, reason, log) {
    const row = await store.db
        .insertInto('job_run')
        .values({ job, scheduled_for: scheduledFor, status: 'skipped', finished_at: sql `now()`, error: reason, pid: process.pid })
        .returning('id')
        .executeTakeFirstOrThrow();
    log.info('job skipped', { job, job_id: row.id, reason });
    return { job_run_id: row.id, job, status: 'skipped', error: reason, counts: {}, run_id: null };
}
/**
 * Runs `work` as one recorded job run: start, end, status, error and counts in job_run. A second
 * start while one runs (here or in another process) is recorded as 'skipped' and does nothing.
 */
export async function runJob(store, job, scheduledFor, log, work) {
    const lock = await tryLockJob(store, job);
    if (!lock)
        return recordSkipped(store, job, scheduledFor, 'another run of this job was in progress', log);
    try {
        if (scheduledFor) {
            // Two workers firing for the same time: the one that gets the lock second finds it done.
            const done = await store.db
                .selectFrom('job_run')
                .select('id')
                .where('job', '=', job)
                .where('scheduled_for', '=', scheduledFor)
                .where('status', '=', 'succeeded')
                .executeTakeFirst();
            if (done)
                return await recordSkipped(store, job, scheduledFor, `already ran for ${scheduledFor.toISOString()} (job run ${done.id})`, log);
        }
        // We hold the lock, so any other 'running' row of this job belongs to a worker that died.
        await store.db
            .updateTable('job_run')
            .set({ status: 'failed', finished_at: sql `now()`, error: 'the worker running it stopped before it finished' })
            .where('job', '=', job)
            .where('status', '=', 'running')
            .execute();
        const row = await store.db
            .insertInto('job_run')
            .values({ job, scheduled_for: scheduledFor, status: 'running', pid: process.pid })
            .returning('id')
            .executeTakeFirstOrThrow();
        const jobLog = log.child({ job, job_id: row.id });
        jobLog.info('job started', { scheduled_for: scheduledFor?.toISOString() ?? null });
        try {
            const result = await work(jobLog, row.id);
            await store.db
                .updateTable('job_run')
                .set({ status: 'succeeded', finished_at: sql `now()`, counts: JSON.stringify(result.counts), run_id: result.runId ?? null })
                .where('id', '=', row.id)
                .execute();
            jobLog.info('job succeeded', { counts: result.counts });
            return { job_run_id: row.id, job, status: 'succeeded', error: null, counts: result.counts, run_id: result.runId ?? null };
        }
        catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            const counts = error.counts ?? {};
            await store.db
                .updateTable('job_run')
                .set({ status: 'failed', finished_at: sql `now()`, error: message, counts: JSON.stringify(counts) })
                .where('id', '=', row.id)
                .execute();
            jobLog.error('job failed', { error: message });
            return { job_run_id: row.id, job, status: 'failed', error: message, counts, run_id: null };
        }
    }
    finally {
        await lock.release();
    }
}
export async function selectJobRuns(store, limit = 50, job) {
    let query = store.db.selectFrom('job_run').selectAll().orderBy('id', 'desc').limit(limit);
    if (job)
        query = query.where('job', '=', job);
    return (await query.execute());
}
/** The latest scheduled time each job ran (or was skipped) for: the base of catch-up. */
export async function selectLastScheduled(store) {
    const rows = await store.db
        .selectFrom('job_run')
        .select(['job', (eb) => eb.fn.max('scheduled_for').as('last')])
        .where('scheduled_for', 'is not', null)
        .groupBy('job')
        .execute();
    const result = {};
    for (const row of rows)
        if (row.last)
            result[row.job] = new Date(row.last);
    return result;
}
