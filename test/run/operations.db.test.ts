import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { money, sum } from '../../src/money.ts';
import { openPglite, type Store } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { parsePeriod } from '../../src/period.ts';
import { parseSettings } from '../../src/settings.ts';
import { defaultPolicy } from '../../src/allocate/policy.ts';
import { createLogger } from '../../src/log.ts';
import { ingestFile } from '../../src/ingest/loader.ts';
import { importRateCard } from '../../src/pricing/import-card.ts';
import { runPeriod, type RunOutcome } from '../../src/run/run-period.ts';
import { closePeriod } from '../../src/run/close-period.ts';
import { selectCurrentRun, selectRun } from '../../src/run/queries.ts';
import { selectVarianceSummary } from '../../src/explain/variance-summary.ts';
import { parseTokens } from '../../src/serve/auth.ts';
import { startServer, XLSX_TYPE, type RunningServer } from '../../src/serve/server.ts';
import { openTestStore, testBackends, type TestStore } from '../support/db.ts';
import { writeMonthFiles, type MonthFiles } from './month-files.ts';

// Operations end to end on the real pipeline (pricing, variance, causes, allocation, showback)
// and the real CLI, over a small month of real input files. One shared setup per backend; the
// CLI is launched only where the process boundary is the point (kill -9, two processes, the
// files `recon workbook` writes). An embedded store is opened by one process at a time, so the
// test closes its own handle while a CLI process works on the same data folder.

const period = parsePeriod('2026-05');
const log = createLogger({ logFormat: 'json', logLevel: 'error' });
const settings = parseSettings({});
const bin = path.resolve(import.meta.dirname, '../../bin/recon.js');
const READ = 'read-token-0123456789abcdef';
const RERUN = 'rerun-token-0123456789abcdef';

interface Cli {
  code: number;
  stdout: string;
  stderr: string;
}

for (const backend of testBackends()) {
  describe(`operations on the real pipeline [${backend}]`, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-ops-'));
    const dataDir = path.join(dir, 'data');
    let pgStore: TestStore | undefined;
    let store: Store | undefined;
    let files: MonthFiles;
    let env: NodeJS.ProcessEnv;
    let first: RunOutcome;
    let afterLate: RunOutcome;
    let cliRun: RunOutcome & { run_id: string };
    let killedRunId: string;

    const db = () => {
      if (!store) throw new Error('the store is closed while a CLI process owns it');
      return store;
    };
    const open = async () => {
      if (store) return;
      if (pgStore) store = pgStore;
      else {
        store = await openPglite(dataDir);
        await migrate(store);
      }
    };
    // PGlite: hand the data folder to the CLI; PostgreSQL: the test keeps its pool.
    const release = async () => {
      if (backend === 'pglite' && store) await store.close();
      if (backend === 'pglite') store = undefined;
    };
    const cli = (args: string[]) =>
      new Promise<Cli>((resolve) => {
        execFile(process.execPath, [bin, ...args], { env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
        });
      });
    const cliJson = async <T,>(args: string[]): Promise<T> => {
      const result = await cli([...args, '--json']);
      assert.equal(result.code, 0, `recon ${args.join(' ')} failed:\n${result.stderr}`);
      return JSON.parse(result.stdout) as T;
    };
    const run = (extra: Partial<Parameters<typeof runPeriod>[1]> = {}) => runPeriod(db(), { period, trigger: 'manual', settings, policy: defaultPolicy, log, ...extra });

    before(async () => {
      files = writeMonthFiles(path.join(dir, 'in'));
      env = { ...process.env, RECON_LOG_FORMAT: 'json', RECON_LOG_LEVEL: 'info', RECON_DATA_DIR: dataDir, RECON_OUT_DIR: path.join(dir, 'out') };
      if (backend === 'postgres') {
        pgStore = await openTestStore('postgres');
        env.DATABASE_URL = pgStore.url;
      } else {
        delete env.DATABASE_URL;
      }
      await open();
      await importRateCard(db().db, { path: files.card, bytes: fs.readFileSync(files.card), format: 'csv' });
      await ingestFile(db(), { kind: 'ledger', path: files.ledger });
      await ingestFile(db(), { kind: 'invoice', path: files.invoice });
    });
    after(async () => {
      await release();
      await pgStore?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test('a run prices, reconciles and allocates the month: allocations tie to the invoice to the cent', async () => {
      first = await run();
      assert.equal(first.status, 'succeeded');
      assert.equal(first.invoice_total, files.invoiceTotal);
      assert.equal(first.counts.records, '436');
      assert.equal(first.counts.unpriced, '0');
      assert.equal(first.counts.untagged, '0');
      assert.deepEqual(
        first.allocations.map((a) => a.team),
        ['agent', 'sales', 'support'],
      );
      assert.equal(sum(first.allocations.map((a) => money(a.amount))).toFixed(2), first.invoice_total);
      assert.equal(first.allocated_total, first.invoice_total);
      assert.equal(first.unallocated, '0.00');
      assert.equal(first.previous_run_id, null);
      // The variance is fully accounted for by causes, to the cent.
      assert.equal(sum(first.causes.map((c) => money(c.amount))).toFixed(2), first.variance);
      assert.ok(first.causes.some((c) => c.cause === 'invoice_discount' && c.amount === '-5.00'), JSON.stringify(first.causes));
    });

    test('the run summary and the variance waterfall (recon explain) agree to the cent', async () => {
      const waterfall = await selectVarianceSummary(db().db, first.run_id);
      assert.equal(waterfall.invoice_total, first.invoice_total);
      assert.equal(waterfall.ledger_total, first.ledger_total);
      assert.equal(waterfall.variance, first.variance);
      assert.equal(waterfall.variance_pct, first.variance_pct);
      assert.deepEqual(
        waterfall.causes.map((c) => ({ cause: c.cause, amount: c.amount })),
        first.causes,
      );
      assert.equal(String(waterfall.cells_over_tolerance.total), first.cells_over_tolerance.total);
    });

    test('a rerun with no new input reports no change and identical numbers', async () => {
      const again = await run();
      assert.equal(again.no_change, true);
      assert.equal(again.previous_run_id, first.run_id);
      assert.equal(again.inputs_hash, first.inputs_hash);
      assert.equal(again.results_hash, first.results_hash);
      const strip = ({ run_id, previous_run_id, no_change, ...rest }: RunOutcome) => rest;
      assert.deepEqual(strip(again), strip(first));
    });

    test('a rerun after a late ledger file shows the diff: totals, teams, causes and the added file', async () => {
      const before = (await selectCurrentRun(db().db, period))!;
      await ingestFile(db(), { kind: 'ledger', path: files.lateLedger });
      afterLate = await run();
      assert.equal(afterLate.no_change, false);
      assert.notEqual(afterLate.inputs_hash, first.inputs_hash);
      assert.equal(afterLate.counts.records, '440');
      assert.equal(afterLate.invoice_total, first.invoice_total, 'the invoice did not change');
      // Sales' four calls of 2026-05-12: 4 × (250,130 × $2 + 50,070 × $8) / 1M = $3.60304 (the totals are each
      // rounded to the cent, so their difference is within a cent of it).
      assert.ok(money(afterLate.ledger_total).minus(money(first.ledger_total)).minus('3.60304').abs().lessThanOrEqualTo('0.01'));
      assert.equal(afterLate.unallocated, '0.00');

      await release();
      const diff = await cliJson<{
        from_run_id: string;
        to_run_id: string;
        no_change: boolean;
        totals: Record<string, { from: string; to: string; change: string }>;
        teams: { team: string; change: string }[];
        causes: { cause: string; change: string }[];
        inputs: { files_added: { kind: string; path: string }[]; card_versions_added: string[]; policy_changed: boolean };
      }>(['diff', '--period', period]);
      await open();
      assert.equal(diff.from_run_id, before.id);
      assert.equal(diff.to_run_id, afterLate.run_id);
      assert.equal(diff.no_change, false);
      assert.equal(diff.totals.ledger_total!.change, money(afterLate.ledger_total).minus(money(first.ledger_total)).toFixed(2));
      assert.equal(diff.totals.invoice_total!.change, '0.00');
      assert.equal(diff.totals.unallocated!.change, '0.00');
      // The invoice is the same, so what sales gained the others gave up.
      assert.ok(diff.teams.some((t) => t.team === 'sales' && money(t.change).greaterThan(0)), JSON.stringify(diff.teams));
      assert.equal(sum(diff.teams.map((t) => money(t.change))).toFixed(2), '0.00');
      assert.ok(diff.causes.length > 0, 'the causes moved with the ledger');
      assert.equal(sum(diff.causes.map((c) => money(c.change))).toFixed(2), diff.totals.variance!.change);
      assert.deepEqual(
        diff.inputs.files_added.map((f) => [f.kind, path.basename(f.path)]),
        [['ledger', 'ledger-late-2026-05-12.csv']],
      );
      assert.deepEqual(diff.inputs.card_versions_added, []);
      assert.equal(diff.inputs.policy_changed, false);
    });

    test('CLI: recon run --json and recon explain --json agree to the cent; recon workbook writes the files', async () => {
      await release();
      cliRun = await cliJson<RunOutcome>(['run', '--period', period]);
      assert.equal(cliRun.no_change, true, 'the CLI gives the same results as the in-process run');
      assert.equal(cliRun.previous_run_id, afterLate.run_id);
      assert.equal(cliRun.results_hash, afterLate.results_hash);
      const explained = await cliJson<{ run_id: string; invoice_total: string; ledger_total: string; variance: string; causes: { cause: string; amount: string }[] }>(['explain', '--period', period]);
      assert.equal(explained.run_id, cliRun.run_id);
      assert.equal(explained.invoice_total, cliRun.invoice_total);
      assert.equal(explained.ledger_total, cliRun.ledger_total);
      assert.equal(explained.variance, cliRun.variance);
      assert.deepEqual(
        explained.causes.map((c) => ({ cause: c.cause, amount: c.amount })),
        cliRun.causes,
      );
      const written = await cliJson<{ files: { kind: string; team: string | null; path: string; sha256: string }[] }>(['workbook', '--period', period, '--out', path.join(dir, 'cli-out'), '--all-teams']);
      assert.deepEqual(written.files.map((f) => f.team ?? f.kind).sort(), ['agent', 'allocation', 'sales', 'support']);
      await open();
    });

    test('recon run killed with kill -9 mid-way leaves the previous run current', async () => {
      await release();
      const child = spawn(process.execPath, [bin, 'run', '--period', period, '--pause-before-commit', '120000'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the run never reached its transaction:\n${stderr}`)), 120_000);
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (stderr.includes('paused inside the run transaction')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on('exit', () => reject(new Error(`the run exited early:\n${stderr}`)));
      });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      await open();
      const killed = await db().db.selectFrom('run').select(['id', 'status']).orderBy('id', 'desc').executeTakeFirstOrThrow();
      killedRunId = killed.id;
      assert.notEqual(killed.id, cliRun.run_id);
      assert.equal(killed.status, 'running', 'nothing could mark it: the process was killed');
      assert.equal((await selectCurrentRun(db().db, period))?.id, cliRun.run_id, 'the previous run is still current');
      const cube = await db().db.selectFrom('run_cost_cube').select((eb) => eb.fn.countAll<string>().as('n')).where('run_id', '=', killed.id).executeTakeFirstOrThrow();
      assert.equal(String(cube.n), '0', 'nothing of the killed run landed');
    });

    describe('HTTP service', () => {
      let server: RunningServer;
      const get = (p: string, token: string | null = READ, init: RequestInit = {}) =>
        fetch(server.url + p, { ...init, headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string> | undefined) } });

      before(async () => {
        await open();
        server = await startServer({ store: db(), outDir: path.join(dir, 'served'), settings, policy: defaultPolicy, tokens: parseTokens([], `${READ},${RERUN}:rerun`), log }, 0, '127.0.0.1');
      });
      after(async () => {
        await server?.close();
      });

      test('401 without a token, 403 for a read-only token on a rerun', async () => {
        assert.equal((await get('/periods', null)).status, 401);
        assert.equal((await get('/periods', 'not-a-token-0123456789abcdef')).status, 401);
        const forbidden = await get(`/periods/${period}/runs`, READ, { method: 'POST', body: '{}' });
        assert.equal(forbidden.status, 403);
      });

      test('downloads are byte-equal to what recon workbook wrote, also when written again', async () => {
        const current = (await selectCurrentRun(db().db, period))!;
        const cliFiles = fs.readdirSync(path.join(dir, 'cli-out'));
        for (const [url, name] of [
          [`/periods/${period}/allocation.xlsx`, `allocation-${period}.xlsx`],
          [`/periods/${period}/disputes/sales.xlsx`, `dispute-${period}-sales.xlsx`],
        ] as const) {
          assert.ok(cliFiles.includes(name), `recon workbook wrote ${name}`);
          const expected = fs.readFileSync(path.join(dir, 'cli-out', name));
          const res = await get(url);
          assert.equal(res.status, 200);
          assert.equal(res.headers.get('content-type'), XLSX_TYPE);
          assert.equal(res.headers.get('content-disposition'), `attachment; filename="${name}"`);
          assert.ok(Buffer.from(await res.arrayBuffer()).equals(expected), `${name}: the issued file, byte for byte`);
        }
        // The issued files gone, the service writes them again from the stored run: same bytes.
        fs.rmSync(path.join(dir, 'cli-out'), { recursive: true });
        const again = await get(`/periods/${period}/allocation.xlsx`);
        assert.equal(again.status, 200);
        const rewritten = Buffer.from(await again.arrayBuffer());
        assert.ok(fs.existsSync(path.join(dir, 'served', `allocation-${period}.xlsx`)));
        const summary = await (await get(`/periods/${period}`)).json();
        assert.equal(summary.current_run_id, current.id);
        assert.equal(summary.summary.invoice_total, files.invoiceTotal);
        assert.ok(rewritten.length > 0);
        assert.ok(rewritten.equals(fs.readFileSync(path.join(dir, 'served', `allocation-${period}.xlsx`))));
      });

      test('POST a rerun on real data: no change, the killed run marked failed; a closed period is refused (409) without reopen', async () => {
        const previous = (await selectCurrentRun(db().db, period))!;
        const res = await get(`/periods/${period}/runs?wait=true`, RERUN, { method: 'POST', body: '{}' });
        assert.equal(res.status, 201);
        const outcome = (await res.json()) as RunOutcome;
        assert.equal(outcome.no_change, true);
        assert.equal(outcome.previous_run_id, previous.id);
        assert.equal(outcome.trigger, 'http');
        assert.equal(outcome.unallocated, '0.00');
        assert.equal((await selectRun(db().db, killedRunId))?.status, 'failed');
        assert.match((await selectRun(db().db, killedRunId))!.error!, /stopped before it finished/);

        await closePeriod(db().db, period);
        const refused = await get(`/periods/${period}/runs`, RERUN, { method: 'POST', body: '{}' });
        assert.equal(refused.status, 409);
        assert.match((await refused.json()).error, /closed/);
      });
    });

    test('CLI: a closed period refuses a plain rerun (exit 2, says how to reopen); --reopen --reason reruns it', async () => {
      const closedBy = (await selectCurrentRun(db().db, period))!.id;
      await release();
      const refused = await cli(['run', '--period', period]);
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, /period 2026-05 is closed/);
      assert.match(refused.stderr, /--reopen --reason/);
      const reopened = await cliJson<RunOutcome>(['run', '--period', period, '--reopen', '--reason', 'late credit note']);
      assert.equal(reopened.reopen_reason, 'late credit note');
      assert.equal(reopened.no_change, true);
      await open();
      const periodRow = await db().db.selectFrom('period').selectAll().where('period', '=', period).executeTakeFirstOrThrow();
      assert.equal(periodRow.status, 'closed');
      assert.equal(periodRow.closed_by_run, reopened.run_id);
      assert.notEqual(periodRow.closed_by_run, closedBy);
    });

    if (backend === 'postgres') {
      test('two `recon job nightly` processes started together run the job once', async () => {
        // A night of June (2026-05 is closed by now): the job reconciles June to date.
        const scheduledFor = '2026-06-02T02:00:00Z';
        const [a, b] = await Promise.all([
          cliJson<{ status: string; run_id: string | null; error: string | null }>(['job', 'nightly', '--scheduled-for', scheduledFor]),
          cliJson<{ status: string; run_id: string | null; error: string | null }>(['job', 'nightly', '--scheduled-for', scheduledFor]),
        ]);
        assert.deepEqual([a.status, b.status].sort(), ['skipped', 'succeeded'], JSON.stringify([a, b]));
        const jobRuns = await db().db.selectFrom('job_run').select(['status']).where('job', '=', 'nightly').orderBy('status').execute();
        assert.deepEqual(jobRuns.map((r) => r.status), ['skipped', 'succeeded']);
        const nightlyRuns = await db().db.selectFrom('run').select(['id', 'status', 'period']).where('trigger', '=', 'nightly').execute();
        assert.equal(nightlyRuns.length, 1, 'one run, by the job that got the lock');
        assert.equal(nightlyRuns[0]!.status, 'succeeded');
        assert.equal(nightlyRuns[0]!.period, '2026-06');
      });
    }
  });
}
