import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import { describeOnBothEngines } from '../support/db.ts';
import { insertInvoiceLines, insertLedgerRecords, insertRateCard, invoiceLine, ledgerRecord, rateCardLine } from '../support/builders.ts';
import { openPostgres, type Store } from '../../src/db/connection.ts';
import { parseSettings } from '../../src/settings.ts';
import { defaultPolicy } from '../../src/allocate/policy.ts';
import { createLogger } from '../../src/log.ts';
import { parsePeriod } from '../../src/period.ts';
import { selectPeriod } from '../../src/run/queries.ts';
import type { JobContext } from '../../jobs/context.ts';
import type { IngestOne } from '../../jobs/inbox.ts';
import { catchUp, runScheduled } from '../../jobs/worker.ts';
import { runJob, selectJobRuns } from '../../jobs/runner.ts';

const log = createLogger({ logFormat: 'json', logLevel: 'error' });

// The ingest stand-in stores the file as a ledger file of one record, refusing files named bad*.
const standInIngest: IngestOne = async (store, kind, file) => {
  if (path.basename(file).startsWith('bad')) throw Object.assign(new Error('line 3: timestamp "yesterday" is not RFC 3339'), { hint: 'fix the file and drop it in again' });
  const day = fs.readFileSync(file, 'utf8').trim();
  await insertLedgerRecords(store, [ledgerRecord({ ts: `${day}T12:00:00Z`, team: 'support', input_tokens: 2000 })], path.basename(file));
  return { status: 'loaded', detail: { kind } };
};

function jobContext(store: Store, dir: string, written: string[] = []): JobContext {
  return {
    store,
    config: { inboxDir: path.join(dir, 'inbox'), outDir: path.join(dir, 'out') },
    settings: parseSettings({}),
    policy: defaultPolicy,
    log,
    ingest: standInIngest,
    writeWorkbooks: async (_store, { period, runId }) => {
      written.push(`${period}:${runId}`);
      return [];
    },
  };
}

describeOnBothEngines('jobs', (store, backend) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-jobs-'));

  test('nightly: inbox files go to done/ or failed/ with a reason, then the month to date is reconciled', async () => {
    const inbox = path.join(dir, 'inbox', 'ledger');
    fs.mkdirSync(inbox, { recursive: true });
    fs.writeFileSync(path.join(inbox, 'day-19.csv'), '2026-05-19');
    fs.writeFileSync(path.join(inbox, 'bad-export.csv'), 'x');
    fs.writeFileSync(path.join(inbox, 'still-writing.csv.part'), 'x');
    const record = await runScheduled(jobContext(store(), dir), { job: 'nightly', scheduledFor: new Date('2026-05-20T02:00:00Z'), period: parsePeriod('2026-05') });
    assert.equal(record.status, 'succeeded', record.error ?? '');
    assert.equal(record.counts.files_loaded, 1);
    assert.equal(record.counts.files_failed, 1);
    assert.equal(record.counts.period, '2026-05');
    assert.ok(record.run_id);
    assert.ok(fs.existsSync(path.join(inbox, 'done', 'day-19.csv')));
    assert.ok(fs.existsSync(path.join(inbox, 'failed', 'bad-export.csv')));
    assert.match(fs.readFileSync(path.join(inbox, 'failed', 'bad-export.csv.reason.txt'), 'utf8'), /not RFC 3339\nnext: fix the file/);
    assert.ok(fs.existsSync(path.join(inbox, 'still-writing.csv.part')), 'a file still being written is left alone');
    const runs = await selectJobRuns(store(), 10, 'nightly');
    assert.equal(runs[0]!.status, 'succeeded');
    assert.equal(runs[0]!.run_id, record.run_id);
    assert.ok(runs[0]!.finished_at);
  });

  test('two workers started together run a job once', async () => {
    // On PostgreSQL the second worker is a separate pool (separate sessions), like another process.
    const other = backend === 'postgres' ? await openPostgres(store().url!) : store();
    try {
      const scheduledFor = new Date('2026-05-21T02:00:00Z');
      const run = { job: 'nightly' as const, scheduledFor, period: parsePeriod('2026-05') };
      const [a, b] = await Promise.all([runScheduled(jobContext(store(), dir), run), runScheduled(jobContext(other, dir), run)]);
      assert.deepEqual([a.status, b.status].sort(), ['skipped', 'succeeded']);
      const { rows } = await sql<{ status: string; n: string }>`
        select status, count(*) as n from job_run where scheduled_for = ${scheduledFor.toISOString()}::timestamptz group by status order by status`.execute(store().db);
      assert.deepEqual(rows, [
        { status: 'skipped', n: '1' },
        { status: 'succeeded', n: '1' },
      ]);
      const runsOfPeriod = await sql<{ n: string }>`select count(*) as n from run where trigger = 'nightly' and started_at > now() - interval '1 minute'`.execute(store().db);
      assert.equal(runsOfPeriod.rows[0]!.n, '2', 'one run for the first nightly test, one for this one');
      // A worker that comes late for the same time finds it done.
      const late = await runScheduled(jobContext(other, dir), run);
      assert.equal(late.status, 'skipped');
      assert.match(late.error!, /already ran/);
    } finally {
      if (other !== store()) await other.close();
    }
  });

  test('a job that throws is recorded failed with its error', async () => {
    const record = await runJob(store(), 'nightly', null, log, async () => {
      throw new Error('disk full');
    });
    assert.equal(record.status, 'failed');
    const [row] = await selectJobRuns(store(), 1);
    assert.equal(row!.status, 'failed');
    assert.equal(row!.error, 'disk full');
  });

  test('catch-up on start runs the missed month-end close: final run, workbooks, period closed', async () => {
    await sql`insert into job_run (job, scheduled_for, status, finished_at) values ('month-end-close', '2026-05-05T06:00:00Z', 'succeeded', now())`.execute(store().db);
    // a close needs a complete month (--require-complete): a card, an invoice and owners beside the ledger
    await insertRateCard(store(), 'jobs-v1', [rateCardLine({ token_category: 'input' }), rateCardLine({ token_category: 'output', unit_price: '10.00' })]);
    await insertInvoiceLines(store(), [invoiceLine({ charge_date: '2026-05-10', token_category: 'input', quantity: '2000', amount: '0.01' })]);
    await sql`insert into team_owner (team, cost_center, source) values ('support', 'cc-1', 'test')`.execute(store().db);
    const written: string[] = [];
    const records = await catchUp(jobContext(store(), dir, written), new Date('2026-06-04T09:00:00Z'));
    const close = records.find((r) => r.job === 'month-end-close');
    assert.equal(close?.status, 'succeeded', close?.error ?? '');
    assert.equal(close?.counts.period, '2026-05');
    assert.deepEqual(written, [`2026-05:${close?.run_id}`]);
    assert.ok(fs.existsSync(String(close?.counts.focus_export)), 'the month-end job writes the FOCUS export');
    const period = await selectPeriod(store().db, parsePeriod('2026-05'));
    assert.equal(period?.status, 'closed');
    assert.equal(period?.closed_by_run, close?.run_id);
    assert.equal(period?.closed_by, 'month-end job', 'the Close sheet says who closed it');
    // The nightly also caught up: the latest missed night only, for the month holding yesterday.
    const nightly = records.filter((r) => r.job === 'nightly');
    assert.equal(nightly.length, 1);
    assert.equal(nightly[0]?.status, 'succeeded');
    assert.equal(nightly[0]?.counts.period, '2026-06');
    // Started again right away, nothing is missed.
    assert.deepEqual(await catchUp(jobContext(store(), dir, written), new Date('2026-06-04T09:01:00Z')), []);
  });
});
