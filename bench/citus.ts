// `npm run bench -- --citus`: the same month on the Citus cluster of RECON_CITUS_URL and on the
// single PostgreSQL of DATABASE_URL, in the same run. Each recon stage runs as its own CLI process
// against both; the bench reports seconds per stage and, per node, the rows its tables gave up
// (sequential + index reads) and took (writes) during each process, from pg_stat_user_tables.
// On one machine the cluster is not faster: the per-node work is what extrapolates to N workers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { BenchOptions } from './lib/args.ts';
import { clusterNodes, createClusterDatabase, dropClusterDatabase, nodeCounters, type ClusterNode } from './lib/citus.ts';
import { adminQuery, withDatabase } from './lib/database.ts';
import { createFloorTables, loadFloorCard, psqlCopy, writeInvoiceFiles } from './lib/floor.ts';
import { gatewayKeysCsv, ownersCsv, plantedWithout, rateCardCsv } from './lib/inputs.ts';
import { writeLedgerFiles } from './lib/ledger-file.ts';
import { runTimed, stageIntervals } from './lib/process.ts';

const say = (text: string) => process.stderr.write(`[bench --citus] ${text}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Target {
  label: 'single' | 'citus';
  url: string;
  database: string;
  /** the nodes whose counters are read (one for the single server) */
  nodes: ClusterNode[];
  counterBase: string;
}

interface ProcessFigures {
  name: string;
  seconds: number;
  outcome: string;
  stages: { stage: string; seconds: number }[];
  nodes: { node: string; scanned: number; written: number }[];
  json: Record<string, unknown>;
}

export async function benchCitus(options: BenchOptions, recon: string, root: string): Promise<void> {
  const baseUrl = process.env.DATABASE_URL;
  const citusUrl = process.env.RECON_CITUS_URL;
  if (!baseUrl || !citusUrl) throw new Error('--citus needs DATABASE_URL (the single PostgreSQL) and RECON_CITUS_URL (the cluster coordinator that ../shared/citus/setup.sh start prints)');
  const database = `recon_bench_citus_${process.pid}`;
  const workDir = options.workDir ? path.resolve(options.workDir) : fs.mkdtempSync(path.join(os.tmpdir(), 'recon-bench-citus-'));
  fs.mkdirSync(workDir, { recursive: true });
  const startedAt = new Date();
  const planted = plantedWithout(options.without);
  const cluster = await clusterNodes(citusUrl);
  say(`${options.requests.toLocaleString('en-US')} requests for ${options.period}; cluster: ${cluster.map((n) => `${n.name} :${n.port}`).join(', ')}; database ${database}`);

  const ledger = await writeLedgerFiles(workDir, { requests: options.requests, seed: options.seed, period: options.period, planted });
  const card = path.join(workDir, 'rate-card.csv');
  const owners = path.join(workDir, 'owners.csv');
  const keys = path.join(workDir, 'gateway-keys.csv');
  fs.writeFileSync(card, rateCardCsv(options.period));
  fs.writeFileSync(owners, ownersCsv());
  fs.writeFileSync(keys, gatewayKeysCsv());
  say(`generated ${ledger.records.toLocaleString('en-US')} records (${(ledger.bytes / 1e6).toFixed(0)} MB)`);

  const singleUrl = withDatabase(baseUrl, database);
  await adminQuery(baseUrl, `create database ${database}`);
  const clusterUrl = await createClusterDatabase(citusUrl, database);
  const single = new URL(baseUrl);
  const targets: Target[] = [
    { label: 'single', url: singleUrl, database, nodes: [{ name: 'server', host: single.hostname, port: Number(single.port || 5432) }], counterBase: baseUrl },
    { label: 'citus', url: clusterUrl, database, nodes: cluster, counterBase: citusUrl },
  ];
  const figures: Record<string, ProcessFigures[]> = { single: [], citus: [] };
  try {
    // the invoices, computed from the month on the single server (the bench's floor tables)
    const client = new pg.Client({ connectionString: singleUrl });
    await client.connect();
    let invoices: { files: string[]; lines: number; total: string };
    let copySeconds: number;
    try {
      await createFloorTables(client);
      copySeconds = (await psqlCopy(singleUrl, 'ledger', ledger.ledger)).seconds;
      await psqlCopy(singleUrl, 'billed_only', ledger.billedOnly);
      await loadFloorCard(client, options.period);
      invoices = await writeInvoiceFiles(client, workDir, options.period, planted);
      await client.query('drop schema bench_floor cascade');
    } finally {
      await client.end();
    }
    say(`floor: bare COPY on the single server ${copySeconds.toFixed(2)} s; invoices ${invoices.lines} lines, total ${invoices.total}`);

    const steps: [string, string[]][] = [
      ['migrate', ['migrate', '--json']],
      ['ratecard import', ['ratecard', 'import', card, '--json']],
      ['owners import', ['owners', 'import', owners, '--keys', keys, '--json']],
      ['ingest ledger', ['ingest', 'ledger', ledger.ledger, '--json']],
      ['ingest invoices', ['ingest', 'invoice', ...invoices.files, '--json']],
      ['run', ['run', '--period', options.period, '--json']],
      ['workbook', ['workbook', '--period', options.period, '--all-teams', '--out', path.join(workDir, 'out'), '--json']],
      ['rerun', ['run', '--period', options.period, '--json']],
    ];
    for (const target of targets) {
      const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: target.url, RECON_LOG_FORMAT: 'json', RECON_OUT_DIR: path.join(workDir, `out-${target.label}`), RECON_DATA_DIR: path.join(workDir, '.recon') };
      for (const key of ['RECON_POLICY_FILE', 'RECON_CONFIG_FILE', 'RECON_OWNERS_FILE']) delete env[key];
      for (const [name, args] of steps) {
        const out = args.map((a) => (a === path.join(workDir, 'out') ? path.join(workDir, `out-${target.label}`) : a));
        const before = await nodeCounters(target.counterBase, target.nodes, target.database);
        const timed = await runTimed(process.execPath, [recon, ...out], { env, cwd: root, timeoutSeconds: options.stageTimeout });
        // the stage's backends have exited with the process: their table counters are flushed
        await sleep(1200);
        const after = await nodeCounters(target.counterBase, target.nodes, target.database);
        const outcome = timed.timedOut ? `timed out after ${options.stageTimeout} s` : timed.code !== 0 ? `failed: ${timed.stderr.trim().split('\n').filter((l) => l.startsWith('recon:')).pop() ?? `exit ${timed.code}`}` : 'ok';
        let json: Record<string, unknown> = {};
        try {
          json = outcome === 'ok' ? (JSON.parse(timed.stdout) as Record<string, unknown>) : {};
        } catch {
          // not JSON
        }
        figures[target.label]!.push({
          name,
          seconds: timed.seconds,
          outcome,
          stages: stageIntervals(timed.stderr).map((s) => ({ stage: s.stage, seconds: s.seconds })),
          nodes: after.map((a, i) => ({ node: a.node, scanned: a.scanned - before[i]!.scanned, written: a.written - before[i]!.written })),
          json,
        });
        say(`[${target.label}] recon ${name}: ${timed.seconds.toFixed(2)} s${outcome === 'ok' ? '' : `, ${outcome}`}`);
        if (outcome !== 'ok' && (name === 'ingest ledger' || name === 'migrate')) throw new Error(`[${target.label}] recon ${name} ${outcome}\n${timed.stderr.slice(-2000)}`);
      }
    }

    const hash = (label: string, name: string) => figures[label]!.find((f) => f.name === name)?.json.results_hash ?? null;
    const sameResults = hash('single', 'run') !== null && hash('single', 'run') === hash('citus', 'run');
    const lines: string[] = [];
    const fmt = (n: number) => n.toLocaleString('en-US');
    lines.push(`recon on Citus vs one PostgreSQL: ${fmt(ledger.records)} requests, ${options.period}, ${startedAt.toISOString()}; ${os.availableParallelism()} cores shared by every node`);
    lines.push(`results hash: ${sameResults ? 'identical' : `DIFFERENT (single ${String(hash('single', 'run'))}, citus ${String(hash('citus', 'run'))})`}; rerun no_change: single ${String(figures.single!.at(-1)?.json.no_change)}, citus ${String(figures.citus!.at(-1)?.json.no_change)}`);
    lines.push('');
    lines.push(['process / stage'.padEnd(28), 'single s'.padStart(9), 'citus s'.padStart(9), ...cluster.map((n) => `${n.name} rows read / written`.padStart(34))].join(' '));
    for (const [i, s] of figures.single!.entries()) {
      const c = figures.citus![i]!;
      lines.push([s.name.padEnd(28), s.seconds.toFixed(2).padStart(9), c.seconds.toFixed(2).padStart(9), ...c.nodes.map((n) => `${fmt(n.scanned)} / ${fmt(n.written)}`.padStart(34))].join(' '));
      for (const stage of c.stages) {
        const twin = s.stages.find((x) => x.stage === stage.stage);
        lines.push([`  ${stage.stage}`.padEnd(28), (twin ? twin.seconds.toFixed(2) : '-').padStart(9), stage.seconds.toFixed(2).padStart(9)].join(' '));
      }
    }
    lines.push('');
    lines.push(`single server rows read / written per process: ${figures.single!.map((f) => `${f.name} ${fmt(f.nodes[0]!.scanned)} / ${fmt(f.nodes[0]!.written)}`).join('; ')}`);
    process.stdout.write(lines.join('\n') + '\n');

    const sizes = await Promise.all(
      cluster.map(async (node) => {
        const c = new pg.Client({ connectionString: withDatabase(citusUrl, database).replace(/:\d+\//, `:${node.port}/`) });
        await c.connect();
        try {
          return { node: node.name, bytes: Number((await c.query<{ b: string }>(`select pg_database_size(current_database())::text as b`)).rows[0]!.b) };
        } finally {
          await c.end();
        }
      }),
    );
    process.stdout.write(`database size per node after the month: ${sizes.map((s) => `${s.node} ${(s.bytes / 1e6).toFixed(0)} MB`).join(', ')}\n`);
    const result = { date: startedAt.toISOString(), requests: ledger.records, period: options.period, seed: options.seed, ledger_bytes: ledger.bytes, cores: os.availableParallelism(), floor_copy_seconds: copySeconds, same_results_hash: sameResults, database_bytes: sizes, single: figures.single!.map(({ json, ...f }) => ({ ...f, results_hash: json.results_hash ?? undefined })), citus: figures.citus!.map(({ json, ...f }) => ({ ...f, results_hash: json.results_hash ?? undefined })) };
    fs.mkdirSync(options.resultsDir, { recursive: true });
    const file = path.join(options.resultsDir, `${startedAt.toISOString().slice(0, 10)}-N${options.requests}-citus.json`);
    fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
    if (!sameResults) process.exitCode = 1;
  } finally {
    if (options.keep) say(`kept database ${database} (single and cluster) and files in ${workDir}`);
    else {
      await adminQuery(baseUrl, `drop database if exists ${database} with (force)`).catch((e) => say(`could not drop ${database}: ${(e as Error).message}`));
      await dropClusterDatabase(citusUrl, database).catch((e) => say(`could not drop ${database} on the cluster: ${(e as Error).message}`));
      if (!options.workDir) fs.rmSync(workDir, { recursive: true, force: true });
    }
  }
}
