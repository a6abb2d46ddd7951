import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { sql } from 'kysely';
import { UserError } from '../../src/command-context.ts';
import { ingestFile } from '../../src/ingest/loader.ts';
import { describeOnBothEngines } from '../support/db.ts';

// Issue #16.9: a wrong --format must not block a file for good. A file with no row that could be
// read is refused whole (not recorded as loaded, its bytes not known), and --replace always works,
// also for the very bytes of an earlier load.

const ROOT = path.resolve(import.meta.dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-refused-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
};

const LEDGER = write(
  'ledger-ok.csv',
  'request_id,timestamp,provider,response_model,input_tokens,output_tokens,team\nrf-1,2026-05-04T10:00:00Z,openai,gpt-4o,100,10,search\nrf-2,2026-05-04T11:00:00Z,openai,gpt-4o,200,20,search\n',
);
// $3.10 + $1.25 = $4.35 by hand
const INVOICE = write(
  'invoice-ok.csv',
  'provider,invoice_id,charge_date,model,token_category,service_tier,quantity,amount,currency,line_type\nopenai,INV-RF,2026-05-04,gpt-4o-2024-08-06,input,standard,1240000,3.10,USD,usage\nopenai,INV-RF,2026-05-05,gpt-4o-2024-08-06,output,standard,125000,1.25,USD,usage\n',
);
const LITELLM_JSON = path.join(ROOT, 'test/fixtures/ledger/litellm-spendlogs.json');
const OPENAI_COSTS = path.join(ROOT, 'test/fixtures/providers/openai-costs-2026-05.jsonl');

describeOnBothEngines('a file refused whole is not loaded (#16.9)', (store) => {
  const filesAt = async (file: string) =>
    (await sql<{ status: string }>`select status from ingested_file where path = ${file} order by id`.execute(store().db)).rows.map((r) => r.status);

  test('a ledger under the wrong --format is refused whole; the right ingest then loads it, with or without --replace', async () => {
    await assert.rejects(
      ingestFile(store(), { kind: 'ledger', path: LEDGER, format: 'litellm' }),
      (error: unknown) => error instanceof UserError && /refused whole|it looks like canonical-csv/.test(error.message) && /--format/.test(error.hint ?? ''),
    );
    assert.deepEqual(await filesAt(LEDGER), [], 'nothing recorded');
    const rejects = await sql<{ n: string }>`select count(*)::text as n from rejected_row where file_path = ${LEDGER}`.execute(store().db);
    assert.equal(rejects.rows[0]!.n, '0', 'no reject rows of a refused file');

    const loaded = await ingestFile(store(), { kind: 'ledger', path: LEDGER, replace: true, reason: 'the right format this time' });
    assert.deepEqual([loaded.status, loaded.format, loaded.rows_stored, loaded.replaced_file_ids], ['loaded', 'canonical-csv', 2, []]);
    assert.deepEqual(await filesAt(LEDGER), ['loaded']);
  });

  test('a JSON that holds no row of the named format (0 rows) is refused too', async () => {
    await assert.rejects(ingestFile(store(), { kind: 'ledger', path: LITELLM_JSON, format: 'otel' }), (error: unknown) => error instanceof UserError && /no row found as otel|it looks like litellm/.test(error.message));
    assert.deepEqual(await filesAt(LITELLM_JSON), []);
    const loaded = await ingestFile(store(), { kind: 'ledger', path: LITELLM_JSON });
    assert.equal(loaded.status, 'loaded');
    assert.ok(loaded.rows_stored > 0);
  });

  test('an invoice refused under the wrong --format loads under the right one', async () => {
    // OpenAI's costs buckets read as Anthropic's: every bucket rejected
    await assert.rejects(ingestFile(store(), { kind: 'invoice', path: OPENAI_COSTS, format: 'anthropic-cost' }), (error: unknown) => error instanceof UserError && /refused whole|it looks like openai-costs/.test(error.message));
    assert.deepEqual(await filesAt(OPENAI_COSTS), []);
    const loaded = await ingestFile(store(), { kind: 'invoice', path: OPENAI_COSTS, format: 'openai-costs', replace: true, reason: 'right format' });
    assert.equal(loaded.status, 'loaded');
    assert.ok(loaded.rows_stored > 0);
  });

  test('--replace --reason loads the same bytes again: the earlier load is replaced, the lines count once', async () => {
    const first = await ingestFile(store(), { kind: 'invoice', path: INVOICE });
    assert.deepEqual([first.status, first.rows_stored], ['loaded', 2]);
    const [earlier] = (await sql<{ id: string }>`select id::text as id from ingested_file where path = ${INVOICE} and status = 'loaded'`.execute(store().db)).rows;
    // without --replace the same bytes change nothing
    const again = await ingestFile(store(), { kind: 'invoice', path: INVOICE });
    assert.deepEqual([again.status, again.ingested_file_id], ['duplicate', earlier!.id]);
    const reloaded = await ingestFile(store(), { kind: 'invoice', path: INVOICE, replace: true, reason: 'reload' });
    assert.equal(reloaded.status, 'loaded');
    assert.deepEqual(reloaded.replaced_file_ids, [earlier!.id]);
    assert.deepEqual(await filesAt(INVOICE), ['replaced', 'loaded']);
    const total = await sql<{ amount: string }>`
      select sum(i.amount)::text as amount from invoice_line i join ingested_file f on f.id = i.ingested_file_id
      where f.status = 'loaded' and i.invoice_id = 'INV-RF'`.execute(store().db);
    assert.equal(total.rows[0]!.amount, '4.35');
  });
});

test('CLI: a wrong --format exits non-zero and records nothing; the right ingest with --replace --reason loads the file', () => {
  const dataDir = path.join(tmp, 'cli-data');
  const env: NodeJS.ProcessEnv = { ...process.env, RECON_DATA_DIR: dataDir, RECON_LOG_LEVEL: 'error' };
  delete env.DATABASE_URL;
  const recon = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin/recon.js'), ...args], { env, encoding: 'utf8' });
  const wrong = recon('ingest', 'ledger', LEDGER, '--format', 'litellm');
  assert.equal(wrong.status, 2, wrong.stderr);
  // refused before reading: the file is another known format, and the message names it
  assert.match(wrong.stderr, /refused whole|it looks like canonical-csv/);
  assert.match(wrong.stderr, /next: .*--format/);
  const right = recon('ingest', 'ledger', LEDGER, '--replace', '--reason', 'right format', '--json');
  assert.equal(right.status, 0, right.stderr);
  const [summary] = JSON.parse(right.stdout) as { status: string; already_ingested: boolean; rows_stored: number }[];
  assert.deepEqual([summary!.status, summary!.already_ingested, summary!.rows_stored], ['loaded', false, 2]);
});
