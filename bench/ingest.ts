import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { LEDGER_COLUMNS } from '../src/ingest/format.ts';
import { generateLedger } from './generate-ledger.ts';
import { withDatabase } from './lib/database.ts';

// `recon ingest ledger` against a plain `psql \copy` of the same file into a bare table of text
// columns, in one run on the same server, with recon's peak RSS.
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/ingest.ts --requests 1000000

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}


/** Runs a command; returns wall seconds and the peak resident set (VmHWM, polled from /proc). */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ seconds: number; peakRssMb: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peakKb = 0;
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const poll = setInterval(() => {
      try {
        const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const match = /VmHWM:\s+(\d+) kB/.exec(status);
        if (match) peakKb = Math.max(peakKb, Number(match[1]));
      } catch {
        // the process has exited
      }
    }, 50);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(poll);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      else resolve({ seconds, peakRssMb: Math.round(peakKb / 1024), stdout, stderr });
    });
  });
}

async function main() {
  const requests = Number(flag('requests') ?? '10000000');
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) throw new Error('set DATABASE_URL to a PostgreSQL server (the benchmark creates and drops its own database)');
  if (!Number.isInteger(requests) || requests <= 0) throw new Error('--requests must be a positive whole number');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-bench-'));
  const file = path.join(dir, `ledger-${requests}.csv`);
  const database = `recon_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    process.stderr.write(`generating ${requests} records...\n`);
    const generated = await generateLedger({ requests, out: file, seed: 20260501 });
    await admin.query(`create database ${database}`);
    const url = withDatabase(adminUrl, database);
    const env = { ...process.env, DATABASE_URL: url, RECON_LOG_FORMAT: 'json', RECON_LOG_LEVEL: 'info' };
    await timed(process.execPath, ['bin/recon.js', 'migrate'], env);

    process.stderr.write('psql \\copy into a bare table...\n');
    const bare = new pg.Client({ connectionString: url });
    await bare.connect();
    await bare.query(`create table bare_ledger (${LEDGER_COLUMNS.map((c) => `"${c}" text`).join(', ')})`);
    await bare.end();
    const copy = await timed('psql', [url, '-q', '-c', `\\copy bare_ledger from '${file}' with (format csv, header true)`], env);

    process.stderr.write('recon ingest ledger...\n');
    const ingest = await timed(process.execPath, ['bin/recon.js', 'ingest', 'ledger', file, '--json'], env);
    const [summary] = JSON.parse(ingest.stdout) as Record<string, unknown>[];

    const result = {
      requests,
      file_bytes: generated.bytes,
      machine: { cpus: os.cpus().length, load_average: os.loadavg().map((l) => Math.round(l * 100) / 100) },
      psql_copy_seconds: round(copy.seconds),
      recon_ingest_seconds: round(ingest.seconds),
      ratio: round(ingest.seconds / copy.seconds),
      recon_peak_rss_mb: ingest.peakRssMb,
      recon_rows_per_second: Math.round(requests / ingest.seconds),
      copy_rows_per_second: Math.round(requests / copy.seconds),
      summary,
      measured_at: new Date().toISOString(),
    };
    process.stdout.write(
      `records            ${requests}\n` +
        `psql \\copy         ${result.psql_copy_seconds} s (${result.copy_rows_per_second} rows/s)\n` +
        `recon ingest       ${result.recon_ingest_seconds} s (${result.recon_rows_per_second} rows/s)\n` +
        `ratio              ${result.ratio}x (target <= 2x)\n` +
        `recon peak RSS     ${result.recon_peak_rss_mb} MB (target < 300 MB)\n`,
    );
    const out = path.join(ROOT, 'bench/results', `ingest-${requests}-${result.measured_at.replace(/[:.]/g, '-')}.json`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
    process.stderr.write(`wrote ${out}\n`);
  } finally {
    await admin.query(`drop database if exists ${database} with (force)`).catch(() => undefined);
    await admin.end();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

await main();
