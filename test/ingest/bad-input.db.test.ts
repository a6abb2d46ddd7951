import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import { describeOnBothEngines } from '../support/db.ts';
import { ingestFile } from '../../src/ingest/loader.ts';
import { ingestInbox } from '../../jobs/inbox.ts';
import { ingestWithLoader } from '../../jobs/ingest-adapter.ts';
import { createLogger } from '../../src/log.ts';

// Issue #16 (items 4, 6, 8, 10, 12) and #17.1: bad input never sinks a whole ledger file; what
// cannot be used is a reject with its line, field and reason, and the good rows load.

const ROOT = path.resolve(import.meta.dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-bad-input-'));
let written = 0;
const write = (name: string, content: string | Buffer) => {
  // a fresh folder per file: the same name may be written twice with other bytes
  const dir = path.join(tmp, String((written += 1)));
  fs.mkdirSync(dir);
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
};
const HEADER = 'request_id,timestamp,provider,response_model,input_tokens,output_tokens,team';
const good = (prefix: string, n: number, day = '2026-05-06') =>
  Array.from({ length: n }, (_, i) => `${prefix}-${i + 1},${day}T10:00:${String(i % 60).padStart(2, '0')}Z,openai,gpt-4o,${100 + i},${10 + i},support`);

describeOnBothEngines('ingest of bad input', (store, backend) => {
  const rejects = async (fileId: string) =>
    (await sql<{ line: string; field: string | null; value: string | null; reason: string }>`select line, field, value, reason from rejected_row where ingested_file_id = ${fileId}::bigint order by line::int`.execute(store().db)).rows;
  const stored = async (fileId: string) =>
    (await sql<{ request_id: string; team: string | null; input_tokens: string; source_line: string }>`select request_id, team, input_tokens::text, source_line::text from ledger_record where ingested_file_id = ${fileId}::bigint order by source_line`.execute(store().db)).rows;
  const partitions = async () =>
    (await sql<{ name: string }>`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent where p.relname = 'ledger_record' order by 1`.execute(store().db)).rows.map((r) => r.name);

  // #16.8: each of these rows used to fail the whole file. Rows 2..4 good, the bad one on line 5,
  // two good rows after it. Screened (the fast path) and staged (the fallback) decide alike.
  const longId = 'x'.repeat(3000);
  const badRows: { name: string; row: string; field: string; reason: RegExp }[] = [
    { name: 'nul', row: 'b-nul,2026-05-06T11:00:00Z,openai,gpt-4o,5,1,sup\0port', field: 'team', reason: /NUL/ },
    { name: 'long-id', row: `${longId},2026-05-06T11:00:00Z,openai,gpt-4o,5,1,support`, field: 'request_id', reason: /at most 1024 bytes/ },
    { name: 'minutes-60', row: 'b-560,2026-05-06T11:00:00+05:60,openai,gpt-4o,5,1,support', field: 'timestamp', reason: /offset/ },
    { name: 'plus-16', row: 'b-1600,2026-05-06T11:00:00+16:00,openai,gpt-4o,5,1,support', field: 'timestamp', reason: /offset/ },
    { name: 'minus-2359', row: 'b-2359,2026-05-06T11:00:00-23:59,openai,gpt-4o,5,1,support', field: 'timestamp', reason: /offset/ },
  ];
  for (const staged of [false, true]) {
    for (const bad of badRows) {
      test(`one bad row (${bad.name}${staged ? ', staged' : ''}) is a reject with line, field and reason; the good rows load`, async () => {
        const rows = good(`${bad.name}-${staged}`, 5);
        const file = write(`${bad.name}.csv`, [HEADER, ...rows.slice(0, 3), bad.row, ...rows.slice(3)].join('\n') + '\n');
        const result = await ingestFile(store(), { kind: 'ledger', path: file, staged });
        assert.deepEqual([result.status, result.rows_read, result.rows_stored, result.rows_rejected], ['loaded', 6, 5, 1]);
        const [reject, ...more] = await rejects(result.ingested_file_id);
        assert.equal(more.length, 0);
        assert.deepEqual([reject!.line, reject!.field], ['5', bad.field]);
        assert.match(reject!.reason, bad.reason);
        assert.deepEqual((await stored(result.ingested_file_id)).map((r) => r.source_line), ['2', '3', '4', '6', '7']);
      });
    }
  }

  test('a NUL escaped in a JSON Lines ledger is a reject of its field, not a failed file', async () => {
    const line = (id: string, team: string) => JSON.stringify({ request_id: id, timestamp: '2026-05-07T10:00:00Z', provider: 'openai', response_model: 'gpt-4o', input_tokens: 7, output_tokens: 1, team });
    const result = await ingestFile(store(), { kind: 'ledger', path: write('nul.jsonl', [line('j-1', 'a'), line('j-2', 'b\u0000c'), line('j-3', 'c')].join('\n') + '\n') });
    assert.deepEqual([result.rows_read, result.rows_stored, result.rows_rejected], [3, 2, 1]);
    const [reject] = await rejects(result.ingested_file_id);
    assert.deepEqual([reject!.line, reject!.field], ['2', 'team']);
  });

  // #16.6
  for (const staged of [false, true]) {
    test(`mixed line endings${staged ? ' (staged)' : ''}: a CRLF header with LF rows reads every row; an LF header with CRLF rows stores no carriage return`, async () => {
      const rows = good(`crlf-${staged}`, 50);
      const crlfHeader = await ingestFile(store(), { kind: 'ledger', path: write('crlf-header.csv', `${HEADER}\r\n${rows.join('\n')}\n`), staged });
      assert.deepEqual([crlfHeader.rows_read, crlfHeader.rows_stored, crlfHeader.rows_rejected], [50, 50, 0]);
      const lfRows = good(`lf-${staged}`, 50);
      const lfHeader = await ingestFile(store(), { kind: 'ledger', path: write('lf-header.csv', `${HEADER}\n${lfRows.join('\r\n')}\r\n`), staged });
      assert.deepEqual([lfHeader.rows_read, lfHeader.rows_stored, lfHeader.rows_rejected], [50, 50, 0]);
      const teams = new Set((await stored(lfHeader.ingested_file_id)).map((r) => r.team));
      assert.deepEqual([...teams], ['support']);
    });
  }

  test('mixed line endings in an invoice CSV: every line read, no carriage return kept', async () => {
    const header = 'provider,invoice_id,charge_date,model,token_category,service_tier,quantity,amount,currency,line_type';
    const lines = ['openai,INV-LE,2026-05-01,gpt-4o-2024-08-06,input,standard,1000000,2.50,USD,usage', 'openai,INV-LE,2026-05-01,gpt-4o-2024-08-06,output,standard,100000,1.00,USD,usage', 'openai,INV-LE,2026-05-02,gpt-4o-2024-08-06,input,standard,2000000,5.00,USD,usage'];
    const result = await ingestFile(store(), { kind: 'invoice', path: write('invoice-mixed.csv', `${header}\r\n${lines[0]}\n${lines[1]}\r\n${lines[2]}\n`) });
    assert.deepEqual([result.rows_read, result.rows_stored, result.rows_rejected], [3, 3, 0]);
    const rows = (await sql<{ amount: string; line_type: string }>`select amount::text, line_type from invoice_line where ingested_file_id = ${result.ingested_file_id}::bigint order by source_line`.execute(store().db)).rows;
    // 2.50 + 1.00 + 5.00, by hand
    assert.deepEqual(rows.map((r) => [r.amount, r.line_type]), [['2.50', 'usage'], ['1.00', 'usage'], ['5.00', 'usage']]);
  });

  // #17.1: a LiteLLM SpendLogs row as its GCS bucket / Pub/Sub loggers write it, one pretty-printed
  // object per file (field names as in LiteLLM's docs, docs/my-website/docs/observability/gcs_bucket_integration.md).
  const spendLog = (id: string, start: string, prompt: number, completion: number, cached: number, spend: number) => ({
    request_id: id,
    call_type: 'acompletion',
    api_key: '88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b',
    cache_hit: 'None',
    startTime: start,
    endTime: start,
    completionStartTime: start,
    model: 'gpt-4o-2024-08-06',
    user: '',
    team_id: 'research',
    metadata: { user_api_key_team_id: 'research', usage_object: { prompt_tokens: prompt, completion_tokens: completion, prompt_tokens_details: { cached_tokens: cached } } },
    cache_key: 'Cache OFF',
    spend,
    total_tokens: prompt + completion,
    prompt_tokens: prompt,
    completion_tokens: completion,
    request_tags: ['service:search'],
    end_user: 'ishaan-2',
    api_base: 'https://api.openai.com/v1',
    model_group: 'gpt-4o',
    model_id: 'a1b2c3',
    custom_llm_provider: 'openai',
    requester_ip_address: null,
    status: 'success',
    output: ['{"finish_reason":"stop","index":0,"message":{"content":"Hi!","role":"assistant"}}'],
  });
  test('pretty-printed JSON: a LiteLLM SpendLogs object per file is one row, a pretty-printed array is rows', async () => {
    const one = await ingestFile(store(), { kind: 'ledger', path: write('spendlog.json', JSON.stringify(spendLog('chatcmpl-pp-1', '2026-05-08T14:27:12.563246', 1200, 300, 1024, 0.0069), null, 4) + '\n') });
    assert.deepEqual([one.format, one.rows_read, one.rows_stored, one.rows_rejected], ['litellm', 1, 1, 0]);
    const [row] = (await sql<Record<string, string>>`select request_id, ts::text as ts, provider, response_model, input_tokens::text, output_tokens::text, cache_read_input_tokens::text, team, service, gateway_cost_usd::text
      from ledger_record where ingested_file_id = ${one.ingested_file_id}::bigint`.execute(store().db)).rows;
    // prompt_tokens 1200 already include the 1024 cached; spend 0.0069 USD as logged
    assert.deepEqual(
      [row!.request_id, new Date(row!.ts!).toISOString(), row!.provider, row!.response_model, row!.input_tokens, row!.output_tokens, row!.cache_read_input_tokens, row!.team, row!.service, row!.gateway_cost_usd],
      ['chatcmpl-pp-1', '2026-05-08T14:27:12.563Z', 'openai', 'gpt-4o-2024-08-06', '1200', '300', '1024', 'research', 'search', '0.0069'],
    );
    const array = await ingestFile(store(), { kind: 'ledger', path: write('spendlogs.json', JSON.stringify([spendLog('chatcmpl-pp-2', '2026-05-08T15:00:00', 10, 20, 0, 0.000055), spendLog('chatcmpl-pp-3', '2026-05-08T16:00:00', 30, 40, 0, 0.0001)], null, 2)) });
    assert.deepEqual([array.rows_read, array.rows_stored], [2, 2]);
    const tokens = (await sql<{ input_tokens: string; output_tokens: string }>`select input_tokens::text, output_tokens::text from ledger_record where ingested_file_id = ${array.ingested_file_id}::bigint order by request_id`.execute(store().db)).rows;
    assert.deepEqual(tokens.map((t) => [t.input_tokens, t.output_tokens]), [['10', '20'], ['30', '40']]);
  });

  test('pretty-printed canonical JSON and OTel documents are read as one document', async () => {
    const object = { request_id: 'pp-c-1', timestamp: '2026-05-09T10:00:00Z', provider: 'openai', response_model: 'gpt-4o', input_tokens: 11, output_tokens: 2, team: 'growth' };
    const canonical = await ingestFile(store(), { kind: 'ledger', path: write('canonical-pretty.json', JSON.stringify(object, null, 2)), format: 'canonical-jsonl' });
    assert.deepEqual([canonical.rows_read, canonical.rows_stored], [1, 1]);
    const otel = fs.readFileSync(path.join(ROOT, 'test/fixtures/ledger/otel-genai-spans.json'), 'utf8');
    const pretty = await ingestFile(store(), { kind: 'ledger', path: write('otel-pretty.json', JSON.stringify(JSON.parse(otel), null, 2).replace(/"(span|trace)Id": "([0-9a-f]+)"/g, '"$1Id": "$2ff"')) });
    assert.deepEqual([pretty.format, pretty.rows_read, pretty.rows_stored], ['otel', 2, 2]);
  });

  // #16.4
  test('a truncated LiteLLM or OTel JSON ledger is refused with exit 1, one line and a next: hint', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, RECON_LOG_FORMAT: 'json', RECON_LOG_LEVEL: 'warn' };
    if (backend === 'postgres') env.DATABASE_URL = store().url;
    else {
      delete env.DATABASE_URL;
      env.RECON_DATA_DIR = path.join(tmp, 'cli-data');
    }
    const litellm = JSON.stringify([spendLog('chatcmpl-tr-1', '2026-05-08T14:27:12', 1, 2, 0, 0.1), spendLog('chatcmpl-tr-2', '2026-05-08T14:27:13', 1, 2, 0, 0.1)], null, 2);
    const otel = fs.readFileSync(path.join(ROOT, 'test/fixtures/ledger/otel-genai-spans.json'), 'utf8');
    for (const [name, text] of [['litellm-truncated.json', litellm.slice(0, Math.floor(litellm.length * 0.7))], ['otel-truncated.json', otel.slice(0, Math.floor(otel.length * 0.6))]] as const) {
      const file = write(name, text);
      const run = spawnSync(process.execPath, ['bin/recon.js', 'ingest', 'ledger', file], { cwd: ROOT, env, encoding: 'utf8' });
      assert.equal(run.status, 1, `${name}: ${run.stderr}`);
      const lines = run.stderr.trim().split('\n').filter((l) => !l.startsWith('{'));
      assert.equal(lines.length, 2, run.stderr);
      assert.match(lines[0]!, /truncated|incomplete|cannot read/);
      assert.match(lines[1]!, /^\s*next: /);
      assert.doesNotMatch(run.stderr, /\n\s+at /);
    }
  });

  test('the nightly inbox moves a truncated JSON ledger to failed/ with its reason and ingests the rest', async () => {
    const inbox = path.join(tmp, 'inbox');
    fs.mkdirSync(path.join(inbox, 'ledger'), { recursive: true });
    const litellm = JSON.stringify([spendLog('chatcmpl-in-1', '2026-05-10T01:00:00', 1, 2, 0, 0.1), spendLog('chatcmpl-in-2', '2026-05-10T01:00:01', 1, 2, 0, 0.1)]);
    fs.writeFileSync(path.join(inbox, 'ledger', 'a-truncated.json'), litellm.slice(0, litellm.length - 40));
    fs.writeFileSync(path.join(inbox, 'ledger', 'b-good.csv'), [HEADER, ...good('inbox', 3, '2026-05-10')].join('\n') + '\n');
    const log = createLogger({ logFormat: 'json', logLevel: 'error' });
    const counts = await ingestInbox(store(), inbox, ingestWithLoader, log);
    assert.deepEqual([counts.files_seen, counts.files_loaded, counts.files_failed], [2, 1, 1]);
    assert.ok(fs.existsSync(path.join(inbox, 'ledger', 'failed', 'a-truncated.json')));
    assert.match(fs.readFileSync(path.join(inbox, 'ledger', 'failed', 'a-truncated.json.reason.txt'), 'utf8'), /truncated|incomplete[^\n]*\nnext: /);
    assert.ok(fs.existsSync(path.join(inbox, 'ledger', 'done', 'b-good.csv')));
  });

  // #16.10
  for (const staged of [false, true]) {
    test(`a row dated 2099 is rejected, not given hundreds of partitions${staged ? ' (staged)' : ''}`, async () => {
      const before = await partitions();
      const month = staged ? '2026-03' : '2026-04';
      const rows = good(`far-${staged}`, 4, `${month}-10`);
      const file = write('far.csv', [HEADER, rows[0], rows[1], `far-2099-${staged},2099-01-01T00:00:00Z,openai,gpt-4o,1,1,support`, rows[2], rows[3]].join('\n') + '\n');
      const result = await ingestFile(store(), { kind: 'ledger', path: file, staged });
      assert.deepEqual([result.rows_read, result.rows_stored, result.rows_rejected, result.first_day, result.last_day], [5, 4, 1, `${month}-10`, `${month}-10`]);
      const [reject] = await rejects(result.ingested_file_id);
      assert.deepEqual([reject!.line, reject!.field, reject!.value], ['4', 'timestamp', '2099-01-01T00:00:00Z']);
      assert.match(reject!.reason, /2099-01.*ingest\.monthWindow/);
      const added = (await partitions()).filter((p) => !before.includes(p));
      assert.deepEqual(added, [`ledger_record_${month.replace('-', '_')}`]);
    });
  }

  test('the month window: rows of the next month are accepted with the default of 1, rejected with 0', async () => {
    const rows = [...good('win-a', 3, '2026-06-29'), ...good('win-b', 1, '2026-07-02')];
    const wide = await ingestFile(store(), { kind: 'ledger', path: write('window.csv', [HEADER, ...rows].join('\n') + '\n') });
    assert.deepEqual([wide.rows_stored, wide.rows_rejected], [4, 0]);
    const rows2 = [...good('win-c', 3, '2026-06-29'), ...good('win-d', 1, '2026-07-02')];
    const narrow = await ingestFile(store(), { kind: 'ledger', path: write('window0.csv', [HEADER, ...rows2].join('\n') + '\n'), monthWindow: 0 });
    assert.deepEqual([narrow.rows_stored, narrow.rows_rejected], [3, 1]);
  });

  // #16.12
  for (const staged of [false, true]) {
    test(`bytes that are not UTF-8 are quarantined with line and field${staged ? ' (staged)' : ''}, not stored as U+FFFD`, async () => {
      const rows = good(`utf8-${staged}`, 3);
      const bad = Buffer.concat([Buffer.from(`utf8-bad-${staged},2026-05-06T12:00:00Z,openai,gpt-4o,1,1,caf`), Buffer.from([0xe9]), Buffer.from('\n')]);
      const file = write('latin1.csv', Buffer.concat([Buffer.from([HEADER, rows[0], rows[1]].join('\n') + '\n'), bad, Buffer.from(rows[2] + '\n')]));
      const result = await ingestFile(store(), { kind: 'ledger', path: file, staged });
      assert.deepEqual([result.rows_read, result.rows_stored, result.rows_rejected], [4, 3, 1]);
      const [reject] = await rejects(result.ingested_file_id);
      assert.deepEqual([reject!.line, reject!.field], ['4', 'team']);
      assert.match(reject!.reason, /UTF-8/);
      const fffd = await sql<{ n: string }>`select count(*)::text as n from ledger_record where team like ${'%\uFFFD%'}`.execute(store().db);
      assert.equal(fffd.rows[0]!.n, '0');
    });

    // the staged path's COPY numbers records; src/ingest/csv-line-map.ts turns them back into lines
    test(`reject lines after a quoted newline are the file's lines${staged ? ' (staged)' : ''}`, async () => {
      const rows = good(`nl-${staged}`, 3);
      const text = [HEADER, `nl-q-${staged},2026-05-06T12:00:00Z,openai,gpt-4o,1,1,"two\nlines"`, rows[0], `nl-bad-${staged},2026-05-06T12:00:00Z,openai,gpt-4o,-1,1,x`, rows[1], rows[2]].join('\n') + '\n';
      const result = await ingestFile(store(), { kind: 'ledger', path: write('newline.csv', text), staged });
      assert.deepEqual([result.rows_read, result.rows_stored, result.rows_rejected], [5, 4, 1]);
      // header 1, the quoted record 2-3, a good row 4, the bad row 5
      const [reject] = await rejects(result.ingested_file_id);
      assert.deepEqual([reject!.line, reject!.field], ['5', 'input_tokens']);
      assert.deepEqual((await stored(result.ingested_file_id)).map((r) => r.source_line), ['2', '4', '6', '7']);
    });
  }

  test('two simultaneous ingests of one file: one loads it, the other says already ingested', async () => {
    const file = write('race.csv', [HEADER, ...good('race', 200, '2026-05-12')].join('\n') + '\n');
    const results = await Promise.allSettled([ingestFile(store(), { kind: 'ledger', path: file }), ingestFile(store(), { kind: 'ledger', path: file })]);
    const outcomes = results.map((r) => (r.status === 'fulfilled' ? r.value.status : `error: ${(r.reason as Error).message}`)).sort();
    assert.deepEqual(outcomes, ['duplicate', 'loaded']);
  });
});
