import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { openTestStore, type TestStore } from '../support/db.ts';
import { insertInvoiceLines, insertLedgerRecords, insertRateCard, invoiceLine, ledgerRecord, rateCardLine } from '../support/builders.ts';
import { parseSettings } from '../../src/settings.ts';
import { defaultPolicy } from '../../src/allocate/policy.ts';
import { createLogger } from '../../src/log.ts';
import { parsePeriod } from '../../src/period.ts';
import { reconcilePeriod } from '../../src/run/pipeline.ts';
import { runPeriod, type Reconcile } from '../../src/run/run-period.ts';
import { parseTokens } from '../../src/serve/auth.ts';
import { startServer, type RunningServer } from '../../src/serve/server.ts';
import { runScheduled } from '../../jobs/worker.ts';
import type { JobContext } from '../../jobs/context.ts';

const log = createLogger({ logFormat: 'json', logLevel: 'error' });
const RERUN = 'rerun-token-0123456789abcdef';
const settings = parseSettings({});
const period = parsePeriod('2026-05');
const root = path.resolve(import.meta.dirname, '../..');

/** Terminates every other session of the test's own database (never another database). */
async function terminateBackends(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      `select count(pg_terminate_backend(pid))::text as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
    );
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// A pipeline that sits in a query until its backend is terminated (while `stall` is on).
let stall = true;
const stallingReconcile: Reconcile = async (trx, input) => {
  if (stall) await sql`select pg_sleep(60)`.execute(trx);
  return reconcilePeriod(trx, input);
};

// Issue #16, item 3: pg_terminate_backend on the test's own database, through the real server,
// the real job runner and the real CLI. PostgreSQL only (PGlite has no backends to terminate).
describe('a lost database connection [postgres]', { skip: process.env.DATABASE_URL ? false : 'needs DATABASE_URL (PostgreSQL)' }, () => {
  let store: TestStore;
  let server: RunningServer;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-connloss-'));

  before(async () => {
    store = await openTestStore('postgres');
    await insertRateCard(store, 'card-a', [rateCardLine({ unit_price: '2.50' }), rateCardLine({ token_category: 'output', unit_price: '10.00' })]);
    await insertLedgerRecords(store, [ledgerRecord({ team: 'support', input_tokens: 1_200_000, output_tokens: 0 })]);
    await insertInvoiceLines(store, [invoiceLine({ quantity: '1200000', amount: '3.00' })]);
    await runPeriod(store, { period, trigger: 'manual', settings, policy: defaultPolicy, log });
    server = await startServer({ store, outDir: dir, settings, policy: defaultPolicy, tokens: parseTokens([], `${RERUN}:rerun`), log, reconcile: stallingReconcile }, 0, '127.0.0.1');
  });
  after(async () => {
    await server?.close();
    await store?.close();
  });
  const api = (p: string, init: RequestInit = {}) => fetch(server.url + p, { ...init, headers: { Authorization: `Bearer ${RERUN}`, ...(init.headers as Record<string, string> | undefined) } });
  const runStatus = async (id: string) => (await store.db.selectFrom('run').select(['status', 'error']).where('id', '=', id).executeTakeFirstOrThrow());

  test('recon serve: a rerun whose connection is terminated is failed at once; the server keeps serving; the next rerun works', async () => {
    stall = true;
    const started = await api('/periods/2026-05/runs', { method: 'POST', body: '{}' });
    assert.equal(started.status, 202);
    const { run_id: runId } = await started.json();
    await until('the run to sit in its query', async () => ((await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and query like '%pg_sleep(60)%' and pid <> pg_backend_pid()`.execute(store.db)).rows[0]!.n > 0 ? true : undefined));
    assert.ok((await terminateBackends(store.url!)) >= 1);

    const failed = await until('the run to be marked failed', async () => ((await runStatus(runId)).status === 'failed' ? runStatus(runId) : undefined), 5_000);
    assert.match(failed.error ?? '', /terminat/i);
    assert.equal((await api('/healthz')).status, 200, 'the process is alive and reconnects');
    const runs = await (await api('/periods/2026-05/runs')).json();
    assert.equal(runs.runs.find((r: { id: string }) => r.id === runId).status, 'failed');
    // a download after the pool lost its idle connections
    await terminateBackends(store.url!);
    assert.equal((await api('/periods/2026-05/allocation.xlsx')).status, 200);

    stall = false;
    const rerun = await api('/periods/2026-05/runs?wait=true', { method: 'POST', body: '{}' });
    assert.equal(rerun.status, 201);
    assert.equal((await rerun.json()).status, 'succeeded');
  });

  test('recon worker: a job whose connection is terminated is recorded failed, with its run; the next tick runs', async () => {
    stall = true;
    const context: JobContext = {
      store,
      config: { inboxDir: path.join(dir, 'inbox'), outDir: path.join(dir, 'out') },
      settings,
      policy: defaultPolicy,
      log,
      ingest: async () => ({ status: 'loaded', detail: {} }),
      writeWorkbooks: async () => [],
      reconcile: stallingReconcile,
    };
    const job = runScheduled(context, { job: 'nightly', scheduledFor: new Date('2026-05-20T02:00:00Z'), period });
    await until('the job to sit in its query', async () => ((await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and query like '%pg_sleep(60)%' and pid <> pg_backend_pid()`.execute(store.db)).rows[0]!.n > 0 ? true : undefined));
    await terminateBackends(store.url!);
    const record = await job;
    assert.equal(record.status, 'failed');
    assert.match(record.error ?? '', /terminat/i);
    const runs = await store.db.selectFrom('run').select(['status']).where('trigger', '=', 'nightly').execute();
    assert.deepEqual(runs.map((r) => r.status), ['failed'], 'the job’s run is failed, not left running');

    stall = false;
    const next = await runScheduled(context, { job: 'nightly', scheduledFor: new Date('2026-05-21T02:00:00Z'), period });
    assert.equal(next.status, 'succeeded', next.error ?? '');
  });

  test('a one-shot command exits 1 with one line and next:, no stack trace; its run is failed', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'run', '--period', '2026-05', '--pause-before-commit', '4000'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: store.url!, RECON_LOG_LEVEL: 'error', RECON_LOG_FORMAT: 'text' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    const runId = await until('the CLI run to start', async () => (await store.db.selectFrom('run').select('id').where('status', '=', 'running').executeTakeFirst())?.id, 60_000);
    await terminateBackends(store.url!);
    const code = await exited;
    assert.equal(code, 1, stderr);
    // log lines (JSON off a terminal) may come before; the message itself is one line and its next step
    assert.match(stderr, /(^|\n)recon: lost the database connection: [^\n]+\n {2}next: [^\n]+\n$/);
    for (const line of stderr.trim().split('\n').slice(0, -2)) assert.doesNotThrow(() => JSON.parse(line), `a log line, not a stack: ${line}`);
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
    assert.equal((await runStatus(runId)).status, 'failed');
  });
});
