import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { defaultPolicy } from '../../src/allocate/policy.ts';
import { openPglite, type Store } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { LEDGER_COLUMNS } from '../../src/ingest/format.ts';
import { ingestFile } from '../../src/ingest/loader.ts';
import { createLogger } from '../../src/log.ts';
import { parsePeriod } from '../../src/period.ts';
import { selectCurrentRun } from '../../src/run/queries.ts';
import { runPeriod, type RunOutcome } from '../../src/run/run-period.ts';
import { parseSettings } from '../../src/settings.ts';
import { TRUTH_PERIOD, truthMonth } from '../e2e/truth-month.ts';
import { writeMonthFiles, type MonthFiles } from '../run/month-files.ts';
import { insertInvoiceLines, insertRateCard, type LedgerRecordInput } from '../support/builders.ts';
import { openTestStore, type TestStore } from '../support/db.ts';
import { CITUS_SKIP, openCitusStore } from './cluster.ts';

// The end-to-end months on a real Citus cluster (coordinator + workers, RECON_CITUS_URL), each
// beside the same month on a single node (the PostgreSQL server of DATABASE_URL, else PGlite):
// the results hash and the workbooks' bytes must be the same, and the guarantees (same file twice
// changes nothing, kill -9 leaves the last good run, two runs at once run once) must hold on the
// cluster. Skipped, with the reason, when no cluster is configured.

const log = createLogger({ logFormat: 'json', logLevel: 'error' });
const settings = parseSettings({});
const bin = path.resolve(import.meta.dirname, '../../bin/recon.js');
const singleNode = process.env.DATABASE_URL ? 'postgres' : 'pglite';

const csvField = (value: unknown) => {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** The records as a canonical ledger CSV, so both stores load them through the real COPY path. */
function writeLedgerCsv(file: string, records: LedgerRecordInput[]) {
  const header = LEDGER_COLUMNS.join(',');
  const lines = records.map((r) => LEDGER_COLUMNS.map((c) => csvField(c === 'timestamp' ? r.ts : (r as unknown as Record<string, unknown>)[c])).join(','));
  fs.writeFileSync(file, [header, ...lines].join('\n') + '\n');
}

const countLedger = async (store: Store) => (await sql<{ n: string }>`select count(*)::text as n from ledger_record`.execute(store.db)).rows[0]!.n;

describe(`the truth month on a Citus cluster gives the single-node results [citus vs ${singleNode}]`, { skip: CITUS_SKIP }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-citus-truth-'));
  const month = truthMonth();
  const ledger = path.join(dir, 'truth-ledger.csv');
  const overlap = path.join(dir, 'truth-ledger-overlap.csv');
  let citus: TestStore;
  let single: TestStore;
  const run = (store: Store) => runPeriod(store, { period: parsePeriod(TRUTH_PERIOD), trigger: 'manual', settings, policy: defaultPolicy, log });
  const runs: { citus?: RunOutcome; single?: RunOutcome } = {};

  before(async () => {
    writeLedgerCsv(ledger, month.records);
    // a second export repeating the first 2,000 requests of the first (another file, same requests)
    writeLedgerCsv(overlap, [...month.records.slice(0, 2000)].reverse());
    [citus, single] = await Promise.all([openCitusStore(), openTestStore(singleNode)]);
    for (const store of [citus, single]) {
      await insertRateCard(store, 'truth', month.card);
      await ingestFile(store, { kind: 'ledger', path: ledger });
      await insertInvoiceLines(store, month.invoice);
    }
  });
  after(async () => {
    await citus?.close();
    await single?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('migrating places the tables (docs/scaling.md), and migrating again changes nothing', async () => {
    const placed = async () => (await sql<{ table_name: string; citus_table_type: string; distribution_column: string }>`
      select table_name::text, citus_table_type, distribution_column from citus_tables order by 1`.execute(citus.db)).rows;
    const before = await placed();
    assert.deepEqual(
      before.filter((t) => !t.table_name.startsWith('ledger_record_')),
      [
        { table_name: 'gateway_key_owner', citus_table_type: 'reference', distribution_column: '<none>' },
        { table_name: 'ledger_record', citus_table_type: 'distributed', distribution_column: 'request_id' },
        { table_name: 'model_alias', citus_table_type: 'reference', distribution_column: '<none>' },
        { table_name: 'team_owner', citus_table_type: 'reference', distribution_column: '<none>' },
      ],
    );
    // the month's partition, created by the ingest, is sharded like its parent
    assert.ok(before.some((t) => t.table_name === 'ledger_record_2026_05' && t.distribution_column === 'request_id'), JSON.stringify(before));
    assert.deepEqual(await migrate(citus), []);
    assert.deepEqual(await placed(), before);
  });

  test('the same results hash, causes and allocation as on one node', async () => {
    runs.citus = await run(citus);
    runs.single = await run(single);
    assert.equal(runs.citus.status, 'succeeded');
    assert.equal(runs.citus.counts.records, String(month.records.length));
    assert.equal(runs.citus.results_hash, runs.single.results_hash);
    assert.deepEqual(runs.citus.causes, runs.single.causes);
    assert.deepEqual(runs.citus.allocations, runs.single.allocations);
    assert.equal(runs.citus.invoice_total, month.invoiceTotal.toFixed(2));
  });

  test('ingesting the same file twice, or its requests again in another file, changes nothing', async () => {
    const before = await countLedger(citus);
    const again = await ingestFile(citus, { kind: 'ledger', path: ledger });
    assert.equal(again.status, 'duplicate');
    const repeated = await ingestFile(citus, { kind: 'ledger', path: overlap });
    assert.equal(repeated.rows_stored, 0);
    assert.equal(repeated.rows_duplicate, 2000);
    assert.equal(await countLedger(citus), before);
    const rerun = await run(citus);
    assert.equal(rerun.results_hash, runs.citus!.results_hash);
  });
});

describe(`the operations month through the CLI on a Citus cluster [citus vs ${singleNode}]`, { skip: CITUS_SKIP }, () => {
  const period = '2026-05';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-citus-ops-'));
  let files: MonthFiles;
  let citus: TestStore;
  let single: TestStore | undefined;
  const env: Record<'citus' | 'single', NodeJS.ProcessEnv> = { citus: {}, single: {} };
  const outcome: Record<string, RunOutcome & { run_id: string }> = {};

  const cli = (target: 'citus' | 'single', args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [bin, ...args], { env: env[target], maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  const cliJson = async <T,>(target: 'citus' | 'single', args: string[]): Promise<T> => {
    const result = await cli(target, [...args, '--json']);
    assert.equal(result.code, 0, `recon ${args.join(' ')} [${target}] failed:\n${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  };
  const both = <T,>(args: string[]) => Promise.all([cliJson<T>('citus', args), cliJson<T>('single', args)]);

  before(async () => {
    files = writeMonthFiles(path.join(dir, 'in'));
    const base = { ...process.env, RECON_LOG_FORMAT: 'json', RECON_LOG_LEVEL: 'info' };
    citus = await openCitusStore();
    env.citus = { ...base, DATABASE_URL: citus.url, RECON_DATA_DIR: path.join(dir, 'citus-data'), RECON_OUT_DIR: path.join(dir, 'citus-out') };
    if (singleNode === 'postgres') {
      single = await openTestStore('postgres');
      env.single = { ...base, DATABASE_URL: single.url, RECON_DATA_DIR: path.join(dir, 'single-data'), RECON_OUT_DIR: path.join(dir, 'single-out') };
    } else {
      env.single = { ...base, RECON_DATA_DIR: path.join(dir, 'single-data'), RECON_OUT_DIR: path.join(dir, 'single-out') };
      delete env.single.DATABASE_URL;
    }
    await both(['ratecard', 'import', files.card]);
    await both(['ingest', 'ledger', files.ledger]);
    await both(['ingest', 'invoice', files.invoice]);
  });
  after(async () => {
    await citus?.close();
    await single?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('recon run: the same results hash as on one node', async () => {
    const [c, s] = await both<RunOutcome & { run_id: string }>(['run', '--period', period]);
    assert.equal(c.status, 'succeeded');
    assert.equal(c.counts.records, '436');
    assert.equal(c.invoice_total, files.invoiceTotal);
    assert.equal(c.results_hash, s.results_hash);
    outcome.first = c;
  });

  test('the same ledger file twice changes nothing; the late day lands once and both stores agree', async () => {
    type Ingested = { status: string; rows_read: number; rows_stored: number; rows_duplicate: number; rows_rejected: number }[];
    const [[again]] = await both<Ingested>(['ingest', 'ledger', files.ledger]);
    assert.equal(again!.status, 'duplicate');
    const [[late], [lateSingle]] = await both<Ingested>(['ingest', 'ledger', files.lateLedger]);
    const counts = (r: Ingested[number]) => [r.status, r.rows_read, r.rows_stored, r.rows_duplicate, r.rows_rejected];
    assert.deepEqual(counts(late!), ['loaded', 4, 4, 0, 0]);
    assert.deepEqual(counts(late!), counts(lateSingle!));
    const [c, s] = await both<RunOutcome & { run_id: string }>(['run', '--period', period]);
    assert.equal(c.counts.records, '440');
    assert.equal(c.results_hash, s.results_hash);
    assert.notEqual(c.results_hash, outcome.first!.results_hash);
    outcome.current = c;
  });

  test('the workbooks are byte-identical to the single-node ones', async () => {
    // Wall-clock instants (when a file was ingested, a run finished, a workbook first issued) are
    // the only inputs the two stores cannot share; pinned alike, every byte must match.
    const pin = async (target: 'citus' | 'single', statements: string[]) => {
      const store = target === 'citus' ? citus : single ?? (await openPglite(env.single.RECON_DATA_DIR!));
      try {
        for (const statement of statements) await sql.raw(statement).execute(store.db);
      } finally {
        if (target === 'single' && !single) await store.close();
      }
    };
    const pinInputs = [
      `update run set started_at = '2026-06-01T01:00:00Z', finished_at = '2026-06-01T01:00:02Z'`,
      `update ingested_file set ingested_at = '2026-06-01T00:30:00Z'`,
      `update rate_card_version set imported_at = '2026-06-01T00:10:00Z'`,
    ];
    type Written = { files: { kind: string; team: string | null; path: string; sha256: string }[] };
    const write = (target: 'citus' | 'single', out: string) => cliJson<Written>(target, ['workbook', '--period', period, '--out', path.join(dir, out), '--all-teams']);
    await Promise.all([pin('citus', pinInputs), pin('single', pinInputs)]);
    await Promise.all([write('citus', 'citus-wb-first'), write('single', 'single-wb-first')]);
    const pinIssues = [`update workbook_issue set issued_at = '2026-06-01T02:00:00Z'`];
    await Promise.all([pin('citus', pinIssues), pin('single', pinIssues)]);
    const [c, s] = await Promise.all([write('citus', 'citus-wb'), write('single', 'single-wb')]);
    const names = (w: Written) => w.files.map((f) => `${f.kind}:${f.team ?? ''}`).sort();
    assert.deepEqual(names(c), names(s));
    assert.deepEqual(names(c), ['allocation:', 'dispute:agent', 'dispute:sales', 'dispute:support']);
    for (const file of c.files) {
      const twin = s.files.find((f) => f.kind === file.kind && f.team === file.team)!;
      assert.ok(fs.readFileSync(file.path).equals(fs.readFileSync(twin.path)), `${path.basename(file.path)}: same bytes on the cluster and on one node`);
      assert.equal(file.sha256, twin.sha256);
    }
  });

  test('recon run killed with kill -9 inside its transaction leaves the previous run current', async () => {
    const child = spawn(process.execPath, [bin, 'run', '--period', period, '--pause-before-commit', '120000'], { env: env.citus, stdio: ['ignore', 'pipe', 'pipe'] });
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
    assert.equal((await selectCurrentRun(citus.db, parsePeriod(period)))?.id, outcome.current!.run_id, 'the previous run is still current');
    const killed = await citus.db.selectFrom('run').select(['id', 'status']).orderBy('id', 'desc').executeTakeFirstOrThrow();
    assert.notEqual(killed.id, outcome.current!.run_id);
    for (const table of ['run_cost_cube', 'run_variance_cell', 'run_allocation'] as const) {
      const n = await citus.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).where('run_id', '=', killed.id).executeTakeFirstOrThrow();
      assert.equal(String(n.n), '0', `nothing of the killed run landed in ${table}`);
    }
    // the next run finds the killed one failed and the month unchanged
    const rerun = await cliJson<RunOutcome & { run_id: string }>('citus', ['run', '--period', period]);
    assert.equal(rerun.no_change, true);
    assert.equal(rerun.results_hash, outcome.current!.results_hash);
  });

  test('two `recon job nightly` processes started together run the job once', async () => {
    const scheduledFor = '2026-06-02T02:00:00Z';
    const [a, b] = await Promise.all([
      cliJson<{ status: string }>('citus', ['job', 'nightly', '--scheduled-for', scheduledFor]),
      cliJson<{ status: string }>('citus', ['job', 'nightly', '--scheduled-for', scheduledFor]),
    ]);
    assert.deepEqual([a.status, b.status].sort(), ['skipped', 'succeeded'], JSON.stringify([a, b]));
    const nightly = await citus.db.selectFrom('run').select(['status', 'period']).where('trigger', '=', 'nightly').execute();
    assert.deepEqual(nightly, [{ status: 'succeeded', period: '2026-06' }]);
  });
});
