// The whole-month benchmark: `npm run bench [-- --requests N]` (see bench/lib/args.ts USAGE).
// Generate a month -> measure the floor -> run each recon stage as its own CLI process against a
// fresh PostgreSQL database -> print one table and the targets -> write bench/results/*.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { benchCitus } from './citus.ts';
import { BenchUsageError, USAGE, parseBenchArgs, type BenchOptions } from './lib/args.ts';
import { gatewayKeysCsv, ownersCsv, plantedWithout, rateCardCsv } from './lib/inputs.ts';
import { writeLedgerFiles } from './lib/ledger-file.ts';
import { bareCardAggregate, createFloorTables, loadFloorCard, psqlCopy, writeInvoiceFiles } from './lib/floor.ts';
import { runTimed, stageIntervals, type Timed } from './lib/process.ts';
import { adminQuery, withDatabase } from './lib/database.ts';
import { busyStatements, formatTable, runStageRows, verdicts, type StageRow } from './lib/report.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RECON = path.join(ROOT, 'bin', 'recon.js');

const say = (text: string) => process.stderr.write(`[bench] ${text}\n`);


function machine() {
  const [one = 0, five = 0, fifteen = 0] = os.loadavg();
  return { nproc: os.availableParallelism(), memory_gib: Math.round(os.totalmem() / 2 ** 30), cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version, load_average: { one, five, fifteen } };
}

async function serverInfo(client: pg.Client) {
  const { rows } = await client.query<{ name: string; setting: string }>(
    `select 'version' as name, current_setting('server_version') as setting
     union all select name, current_setting(name) from (values ('shared_buffers'), ('work_mem'), ('max_parallel_workers_per_gather'), ('max_wal_size'), ('synchronous_commit')) as s (name)`,
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
}

function earlierResults(dir: string, requests: number): { requests: number; processes: { name: string; peakRssMb: number | null }[] }[] {
  if (!fs.existsSync(dir)) return [];
  const byN = new Map<number, { date: string; processes: { name: string; peakRssMb: number | null }[] }>();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    try {
      const r = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { requests?: number; date?: string; processes?: { name: string; peak_rss_mb: number | null }[] };
      if (typeof r.requests !== 'number' || r.requests === requests || !r.processes || !r.date) continue;
      const latest = byN.get(r.requests);
      if (!latest || latest.date < r.date) byN.set(r.requests, { date: r.date, processes: r.processes.map((p) => ({ name: p.name, peakRssMb: p.peak_rss_mb })) });
    } catch {
      // not a result file
    }
  }
  return [...byN.entries()].map(([n, r]) => ({ requests: n, processes: r.processes }));
}

async function main(options: BenchOptions) {
  const baseUrl = process.env.DATABASE_URL;
  if (!baseUrl) throw new BenchUsageError('set DATABASE_URL to a PostgreSQL server, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench (the bench creates and drops its own database there)');
  const dbName = `recon_bench_month_${process.pid}`;
  const benchUrl = withDatabase(baseUrl, dbName);
  const workDir = options.workDir ? path.resolve(options.workDir) : fs.mkdtempSync(path.join(os.tmpdir(), 'recon-bench-'));
  fs.mkdirSync(workDir, { recursive: true });
  const outDir = path.join(workDir, 'out');
  const startedAt = new Date();
  const planted = plantedWithout(options.without);
  const machineBefore = machine();
  say(`${options.requests.toLocaleString('en-US')} requests for ${options.period} in ${workDir}; database ${dbName}; load average ${machineBefore.load_average.one.toFixed(2)} on ${machineBefore.nproc} cores`);

  await adminQuery(baseUrl, `create database ${dbName}`);
  const client = new pg.Client({ connectionString: benchUrl });
  const watcher = new pg.Client({ connectionString: benchUrl });
  await client.connect();
  await watcher.connect();
  try {
    const server = await serverInfo(client);

    let t = process.hrtime.bigint();
    const ledger = await writeLedgerFiles(workDir, { requests: options.requests, seed: options.seed, period: options.period, planted });
    const card = path.join(workDir, 'rate-card.csv');
    const owners = path.join(workDir, 'owners.csv');
    const keys = path.join(workDir, 'gateway-keys.csv');
    fs.writeFileSync(card, rateCardCsv(options.period));
    fs.writeFileSync(owners, ownersCsv());
    fs.writeFileSync(keys, gatewayKeysCsv());
    const generateSeconds = Number(process.hrtime.bigint() - t) / 1e9;
    say(`generated ${ledger.records.toLocaleString('en-US')} ledger records (${(ledger.bytes / 1e6).toFixed(0)} MB; ${ledger.gapRecords} in the gap window, ${ledger.partialRecords} partial streams) in ${generateSeconds.toFixed(1)} s`);

    // The floor: bare COPY of the same file, then the invoice computed from it, then drop it.
    await createFloorTables(client);
    await client.query('checkpoint');
    const copy = await psqlCopy(benchUrl, 'ledger', ledger.ledger);
    say(`floor: psql \\copy ${copy.seconds.toFixed(2)} s`);
    await psqlCopy(benchUrl, 'billed_only', ledger.billedOnly);
    await loadFloorCard(client, options.period);
    t = process.hrtime.bigint();
    const invoices = await writeInvoiceFiles(client, workDir, options.period, planted);
    say(`invoices: ${invoices.lines} lines, total ${invoices.total}, computed in ${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(1)} s`);
    await client.query('drop schema bench_floor cascade');
    await client.query('checkpoint');

    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: benchUrl, RECON_LOG_FORMAT: 'json', RECON_OUT_DIR: outDir, RECON_DATA_DIR: path.join(workDir, '.recon') };
    delete env.RECON_POLICY_FILE;
    delete env.RECON_CONFIG_FILE;
    delete env.RECON_OWNERS_FILE;
    const processes: { name: string; timed: Timed }[] = [];
    const outcomes = new Map<Timed, string>();
    const watcherPid = (await watcher.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    /** Runs one recon process. Setup and ingest must succeed; later stages may fail or time out and are reported as such. */
    const recon = async (name: string, args: string[], mayFail = false): Promise<Timed> => {
      say(`recon ${args.join(' ')}`);
      const timed = await runTimed(process.execPath, [RECON, ...args], { env, cwd: ROOT, watch: { client: watcher, database: dbName }, timeoutSeconds: options.stageTimeout });
      const lastError = timed.stderr.trim().split('\n').filter((l) => l.startsWith('recon:')).pop()?.slice(0, 300);
      // a killed client leaves its statement running in the server: stop it so the next stage is measured alone
      if (timed.timedOut) await client.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid not in (pg_backend_pid(), $2)`, [dbName, watcherPid]);
      const outcome = timed.timedOut ? `timed out after ${options.stageTimeout} s` : timed.code !== 0 ? `failed: ${lastError ?? `exit ${timed.code}`}` : 'ok';
      if (outcome !== 'ok' && !mayFail) throw new Error(`recon ${args.join(' ')} ${outcome}:\n${timed.stderr.slice(-3000)}\n${timed.stdout.slice(-2000)}`);
      say(`  ${timed.seconds.toFixed(2)} s, peak RSS ${timed.peakRssMb ?? '?'} MB${outcome === 'ok' ? '' : `, ${outcome}`}`);
      outcomes.set(timed, outcome);
      processes.push({ name, timed });
      return timed;
    };
    const parsed = (timed: Timed): Record<string, unknown> => {
      try {
        return outcomes.get(timed) === 'ok' ? (JSON.parse(timed.stdout) as Record<string, unknown>) : {};
      } catch {
        return {};
      }
    };

    const setup = [
      await recon('migrate', ['migrate', '--json']),
      await recon('ratecard import', ['ratecard', 'import', card, '--json']),
      await recon('owners import', ['owners', 'import', owners, '--keys', keys, '--json']),
    ];
    const ingestLedger = await recon('ingest ledger', ['ingest', 'ledger', ledger.ledger, '--json']);
    const ingestInvoices = await recon('ingest invoices', ['ingest', 'invoice', ...invoices.files, '--json']);
    const run = await recon('run', ['run', '--period', options.period, '--json'], true);
    const workbooks = await recon('workbook', ['workbook', '--period', options.period, '--all-teams', '--out', outDir, '--json'], true);
    const rerun = await recon('rerun', ['run', '--period', options.period, '--json'], true);
    // The pricing floor last, after fresh statistics, so recon is measured as it runs (with whatever
    // statistics autovacuum happened to gather) and the floor is the best this machine does.
    const ledgerStats = await client.query<{ analyzed: boolean }>(
      `select coalesce(max(greatest(last_analyze, last_autoanalyze)) is not null, false) as analyzed from pg_stat_user_tables where relname like 'ledger_record_%'`,
    );
    t = process.hrtime.bigint();
    await client.query('analyze ledger_record');
    const analyzeSeconds = Number(process.hrtime.bigint() - t) / 1e9;
    const pricingFloor = await bareCardAggregate(client, options.period);
    say(`floor: analyze ${analyzeSeconds.toFixed(2)} s, bare pricing aggregate ${pricingFloor.seconds.toFixed(2)} s (cost ${pricingFloor.cost})`);

    const summary = parsed(run);
    const rerunSummary = parsed(rerun);
    const workbookResult = parsed(workbooks) as { files?: { kind: string; path: string }[] };
    const workbookBytes = (workbookResult.files ?? []).reduce((s, f) => s + (fs.existsSync(f.path) ? fs.statSync(f.path).size : 0), 0);

    const processRow = (stage: string, name: string, timed: Timed, records: number | null, floor: StageRow['floor']): StageRow => ({
      stage,
      seconds: timed.seconds,
      records,
      process: name,
      peakRssMb: timed.peakRssMb,
      floor,
      busy: busyStatements(timed.samples),
      outcome: outcomes.get(timed) ?? 'ok',
    });
    const month: StageRow[] = [
      {
        stage: 'setup (migrate, rate card, owners)',
        seconds: setup.reduce((s, p) => s + p.seconds, 0),
        records: null,
        process: 'setup',
        peakRssMb: Math.max(...setup.map((p) => p.peakRssMb ?? 0)),
        floor: null,
        busy: busyStatements(setup.flatMap((p) => p.samples)),
        outcome: 'ok',
      },
      processRow('ingest ledger', 'ingest ledger', ingestLedger, ledger.records, 'copy'),
      processRow('ingest invoices', 'ingest invoices', ingestInvoices, invoices.lines, null),
      ...runStageRows({ process: 'run', processSeconds: run.seconds, peakRssMb: run.peakRssMb, records: ledger.records, stages: stageIntervals(run.stderr), samples: run.samples, outcome: outcomes.get(run) ?? 'ok' }),
      processRow('workbooks', 'workbook', workbooks, ledger.records, null),
    ];
    const rerunRows = runStageRows({ process: 'rerun', processSeconds: rerun.seconds, peakRssMb: rerun.peakRssMb, records: ledger.records, stages: stageIntervals(rerun.stderr), samples: rerun.samples, outcome: outcomes.get(rerun) ?? 'ok' });
    const floors = { copySeconds: copy.seconds, pricingSeconds: pricingFloor.seconds, copyRecords: ledger.records, pricingRecords: ledger.records };
    const processFigures = processes.map((p) => ({ name: p.name, peakRssMb: p.timed.peakRssMb }));
    const machineAfter = machine();
    const judged = verdicts({ month, rerun: rerunRows, floors, processes: processFigures, earlier: earlierResults(options.resultsDir, options.requests) });
    const table = formatTable({ month, rerun: rerunRows, floors, verdicts: judged });
    process.stdout.write(
      `\nrecon month benchmark: ${options.requests.toLocaleString('en-US')} requests, ${options.period}, ${startedAt.toISOString()}\n` +
        `machine: ${machineBefore.nproc} cores (${machineBefore.cpu}), ${machineBefore.memory_gib} GiB, PostgreSQL ${server.version}, Node ${process.version}; ` +
        `load average ${machineBefore.load_average.one.toFixed(2)} before, ${machineAfter.load_average.one.toFixed(2)} after (shared machine)\n\n` +
        table,
    );
    for (const row of [...month, ...rerunRows.map((r) => ({ ...r, stage: `rerun: ${r.stage}` }))]) {
      if (row.busy.length === 0 || row.seconds < 1) continue;
      process.stdout.write(`\n${row.stage}: database busy with\n${row.busy.map((b) => `  ${b.seconds.toFixed(1).padStart(6)} s  ${b.statement}`).join('\n')}\n`);
    }

    const result = {
      date: startedAt.toISOString(),
      requests: options.requests,
      period: options.period,
      seed: options.seed,
      planted,
      machine: { ...machineBefore, load_average_after: machineAfter.load_average, postgres: server },
      input: {
        ledger_records: ledger.records,
        ledger_bytes: ledger.bytes,
        gap_records_left_out: ledger.gapRecords,
        partial_stream_records: ledger.partialRecords,
        invoice_lines: invoices.lines,
        invoice_total: invoices.total,
        generate_seconds: generateSeconds,
      },
      floor: { copy_seconds: copy.seconds, pricing_aggregate_seconds: pricingFloor.seconds, pricing_aggregate_cost: pricingFloor.cost, analyze_seconds: analyzeSeconds },
      ledger_analyzed_before_floor: ledgerStats.rows[0]!.analyzed,
      stages: month.map((r) => ({ stage: r.stage, seconds: r.seconds, records: r.records, process: r.process, peak_rss_mb: r.peakRssMb, floor: r.floor, outcome: r.outcome, busy: r.busy })),
      total_seconds: month.reduce((s, r) => s + r.seconds, 0),
      rerun: rerunRows.map((r) => ({ stage: r.stage, seconds: r.seconds, peak_rss_mb: r.peakRssMb, outcome: r.outcome, busy: r.busy })),
      rerun_seconds: rerunRows.reduce((s, r) => s + r.seconds, 0),
      processes: processes.map((p) => ({ name: p.name, seconds: p.timed.seconds, peak_rss_mb: p.timed.peakRssMb, outcome: outcomes.get(p.timed) ?? 'ok' })),
      stage_timeout_seconds: options.stageTimeout,
      workbooks: { files: workbookResult.files?.length ?? 0, bytes: workbookBytes },
      run_summary: pick(summary, ['invoice_total', 'ledger_total', 'variance', 'variance_pct', 'allocated_total', 'unallocated', 'counts', 'cells_over_tolerance', 'causes']),
      rerun_no_change: rerunSummary.no_change ?? null,
      targets: judged,
    };
    fs.mkdirSync(options.resultsDir, { recursive: true });
    let file = path.join(options.resultsDir, `${startedAt.toISOString().slice(0, 10)}-N${options.requests}.json`);
    if (fs.existsSync(file)) file = file.replace(/\.json$/, `-${startedAt.toISOString().slice(11, 16).replace(':', '')}.json`);
    fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(`\nledger statistics while recon ran: ${ledgerStats.rows[0]!.analyzed ? 'analyzed (by autovacuum)' : 'never analyzed (recon does not ANALYZE after ingest; autovacuum had not yet)'}; the pricing floor ran after ANALYZE (${analyzeSeconds.toFixed(2)} s)\n`);
    process.stdout.write(`\nplanted causes found: ${JSON.stringify(summary.causes)}\nrerun no_change: ${String(rerunSummary.no_change)}\nwrote ${path.relative(process.cwd(), file)}\n`);
  } finally {
    await watcher.end().catch(() => undefined);
    await client.end().catch(() => undefined);
    if (options.keep) {
      say(`kept database ${benchUrl.replace(/:[^:@/]*@/, ':***@')} and files in ${workDir}`);
    } else {
      await adminQuery(baseUrl, `drop database if exists ${dbName} with (force)`).catch((error) => say(`could not drop ${dbName}: ${(error as Error).message}`));
      if (!options.workDir) fs.rmSync(workDir, { recursive: true, force: true });
      else for (const f of fs.readdirSync(workDir)) if (f.endsWith('.csv') || f === 'out' || f === '.recon') fs.rmSync(path.join(workDir, f), { recursive: true, force: true });
    }
  }
}

function pick(object: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => k in object).map((k) => [k, object[k]]));
}

// so that a stopped bench also stops the recon process it is measuring (exit handlers run)
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

try {
  const options = parseBenchArgs(process.argv.slice(2), { resultsDir: path.join(ROOT, 'bench', 'results') });
  if (options.help) {
    process.stdout.write(USAGE);
  } else if (options.citus) {
    await benchCitus(options, RECON, ROOT);
  } else {
    await main(options);
  }
} catch (error) {
  if (error instanceof BenchUsageError) {
    process.stderr.write(`bench: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
}
