import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { describeOnBothEngines } from '../support/db.ts';
import { openPglite } from '../../src/db/connection.ts';
import { generateLedger } from '../../bench/generate-ledger.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FIXTURES = path.join(ROOT, 'test/fixtures/ledger');

describeOnBothEngines('recon ingest (CLI)', (store, backend) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-ingest-cli-'));
  // The embedded store of the CLI is a data folder of its own; on PostgreSQL, the test's database.
  const env = () => {
    const base: NodeJS.ProcessEnv = { ...process.env, RECON_LOG_FORMAT: 'json', RECON_LOG_LEVEL: 'info' };
    if (backend === 'postgres') return { ...base, DATABASE_URL: store().url };
    delete base.DATABASE_URL;
    return { ...base, RECON_DATA_DIR: path.join(tmp, 'data') };
  };
  const recon = (...args: string[]) => spawnSync(process.execPath, ['bin/recon.js', ...args], { cwd: ROOT, env: env(), encoding: 'utf8' });

  test('ingest prints a summary per file as JSON; rejects lists the quarantined rows', () => {
    const file = path.join(FIXTURES, 'canonical-small.csv');
    const run = recon('ingest', 'ledger', file, path.join(FIXTURES, 'otel-genai-spans.json'), '--json');
    assert.equal(run.status, 0, run.stderr);
    const summaries = JSON.parse(run.stdout) as Record<string, unknown>[];
    assert.deepEqual(
      summaries.map((s) => [s.format, s.rows_read, s.rows_stored, s.rows_duplicate, s.rows_rejected, s.rows_untagged]),
      [['canonical-csv', 8, 4, 1, 3, 1], ['otel', 2, 2, 0, 0, 0]],
    );
    assert.equal(typeof summaries[0]!.rows_per_second, 'number');

    const again = recon('ingest', 'ledger', file);
    assert.equal(again.status, 0);
    assert.match(again.stdout, /already ingested as file #\d+; nothing changed/);

    const rejects = recon('rejects', '--file', file, '--json');
    assert.equal(rejects.status, 0, rejects.stderr);
    const listed = JSON.parse(rejects.stdout) as { total: number; rejects: { line: string; field: string; value: string }[] };
    assert.equal(listed.total, 3);
    assert.deepEqual(listed.rejects.map((r) => [r.line, r.field, r.value]), [['6', 'timestamp', '2026-05-02 10:00:00'], ['7', 'input_tokens', '-5'], ['9', 'timestamp', '2026-02-30T10:00:01Z']]);
  });

  test('mistakes are explained with what to do next (exit 2)', () => {
    const missing = recon('ingest', 'ledger', path.join(tmp, 'nope.csv'));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no such file/);
    const noReason = recon('ingest', 'invoice', path.join(FIXTURES, 'invoice-canonical.csv'), '--replace');
    assert.equal(noReason.status, 2);
    assert.match(noReason.stderr, /--replace needs --reason/);
    const badFormat = recon('ingest', 'ledger', path.join(FIXTURES, 'canonical.jsonl'), '--format', 'excel');
    assert.equal(badFormat.status, 2);
    assert.match(badFormat.stderr, /canonical-csv, canonical-jsonl, litellm, otel|canonical-csv/);
    const help = recon('ingest', 'ledger', '--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--replace/);
  });

  test('kill -9 in the middle of a file leaves the database as before; the rerun loads it whole', async () => {
    const big = path.join(tmp, 'big-ledger.csv');
    await generateLedger({ requests: 150_000, out: big, seed: 99 });
    const child = spawn(process.execPath, ['bin/recon.js', 'ingest', 'ledger', big], { cwd: ROOT, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const exited = new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    await Promise.race([
      exited,
      new Promise<void>((resolve) => {
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (stderr.includes('"msg":"ingest file"')) resolve();
        });
      }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 700));
    child.kill('SIGKILL');
    const [code, signal] = await exited;
    assert.deepEqual([code, signal], [null, 'SIGKILL'], `the ingest must still be running when killed (make the file bigger): ${stderr.slice(-500)}`);

    const counts = async () => {
      if (backend === 'postgres') {
        const { rows } = await store().pgPool!.query(`select (select count(*) from ingested_file where path = $1)::int as files, (select count(*) from ledger_record where request_id like 'req-2r-%')::int as records`, [big]);
        return rows[0] as { files: number; records: number };
      }
      const embedded = await openPglite(path.join(tmp, 'data'));
      try {
        const result = await embedded.pglite!.query<{ files: number; records: number }>(`select (select count(*) from ingested_file where path = $1)::int as files, (select count(*) from ledger_record where request_id like 'req-2r-%')::int as records`, [big]);
        return result.rows[0]!;
      } finally {
        await embedded.close();
      }
    };
    assert.deepEqual(await counts(), { files: 0, records: 0 });

    const rerun = recon('ingest', 'ledger', big, '--json');
    assert.equal(rerun.status, 0, rerun.stderr);
    const [summary] = JSON.parse(rerun.stdout) as { rows_read: number; rows_stored: number; rows_rejected: number }[];
    assert.deepEqual([summary!.rows_read, summary!.rows_stored, summary!.rows_rejected], [150_000, 150_000, 0]);
    assert.deepEqual(await counts(), { files: 1, records: 150_000 });
  });
});
