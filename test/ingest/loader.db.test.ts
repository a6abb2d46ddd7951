import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { test } from 'node:test';
import { sql } from 'kysely';
import { describeOnBothEngines } from '../support/db.ts';
import { ingestFile } from '../../src/ingest/loader.ts';
import { UserError } from '../../src/command-context.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/ledger');
const fixture = (name: string) => path.join(FIXTURES, name);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-ingest-'));
const write = (name: string, text: string | Buffer) => {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
};
const HEADER = 'request_id,timestamp,provider,response_model,input_tokens,output_tokens,team';

describeOnBothEngines('ingest loader', (store, backend) => {
  const records = async (where = sql`true`) =>
    (await sql<Record<string, string | null>>`select request_id, ts::text as ts, provider, response_model, input_tokens, output_tokens, cache_read_input_tokens, cache_write_5m_input_tokens,
      cache_write_1h_input_tokens, reasoning_output_tokens, service_tier, status, team, source_line, ingested_file_id, original_request_id, attempt::text as attempt, gateway_cost_usd
      from ledger_record where ${where} order by request_id`.execute(store().db)).rows;

  test('canonical CSV: good rows stored with canonical numbers, bad rows quarantined with file, line, field, value, reason', async () => {
    const result = await ingestFile(store(), { kind: 'ledger', path: fixture('canonical-small.csv') });
    assert.deepEqual(
      [result.status, result.format, result.rows_read, result.rows_stored, result.rows_duplicate, result.rows_rejected, result.rows_untagged, result.first_day, result.last_day],
      ['loaded', 'canonical-csv', 8, 4, 1, 3, 1, '2026-05-01', '2026-05-31'],
    );
    const rows = await records(sql`ingested_file_id = ${result.ingested_file_id}::bigint`);
    assert.deepEqual(rows.map((r) => r.request_id), ['req-001', 'req-002', 'req-003', 'req-004']);
    const [r1, r2, r3, r4] = rows;
    assert.deepEqual([r1!.input_tokens, r1!.cache_read_input_tokens, r1!.output_tokens, r1!.gateway_cost_usd, r1!.source_line], ['1200', '1024', '300', '0.004100', '2']);
    assert.deepEqual([r2!.cache_read_input_tokens, r2!.cache_write_5m_input_tokens, r2!.cache_write_1h_input_tokens], ['3000', '1000', '500']);
    // 23:59:59+02:00 on May 31 is 21:59:59 UTC; an empty team is untagged (null)
    assert.deepEqual([r3!.reasoning_output_tokens, r3!.service_tier, r3!.team], ['1200', 'batch', null]);
    assert.equal(new Date(r3!.ts!).toISOString(), '2026-05-31T21:59:59.000Z');
    assert.deepEqual([r4!.status, r4!.original_request_id, r4!.attempt, r4!.cache_read_input_tokens, r4!.service_tier], ['error', 'req-003', '2', '0', 'standard']);

    const rejects = (await sql<{ file_path: string; line: string; field: string; value: string; reason: string; raw: string }>`select file_path, line, field, value, reason, raw from rejected_row where ingested_file_id = ${result.ingested_file_id}::bigint order by line`.execute(store().db)).rows;
    assert.deepEqual(rejects.map((r) => [r.file_path, r.line, r.field, r.value]), [
      [fixture('canonical-small.csv'), '6', 'timestamp', '2026-05-02 10:00:00'],
      [fixture('canonical-small.csv'), '7', 'input_tokens', '-5'],
      [fixture('canonical-small.csv'), '9', 'timestamp', '2026-02-30T10:00:01Z'],
    ]);
    assert.match(rejects[0]!.reason, /UTC offset/);
    assert.match(rejects[2]!.reason, /no such day/);
    assert.match(rejects[1]!.raw, /"request_id": "req-006"/);

    const file = await store().db.selectFrom('ingested_file').selectAll().where('id', '=', result.ingested_file_id).executeTakeFirstOrThrow();
    assert.deepEqual([file.rows_read, file.rows_stored, file.rows_duplicate, file.rows_rejected, file.rows_untagged, file.first_day, file.last_day, file.status], ['8', '4', '1', '3', '1', '2026-05-01', '2026-05-31', 'loaded']);
    assert.match(file.sha256, /^[0-9a-f]{64}$/);
  });

  test('the same file again changes nothing and says so', async () => {
    const before = await sql<{ n: string }>`select (select count(*) from ledger_record) + (select count(*) from rejected_row) + (select count(*) from ingested_file) as n`.execute(store().db);
    const again = await ingestFile(store(), { kind: 'ledger', path: fixture('canonical-small.csv') });
    assert.deepEqual([again.status, again.already_ingested, again.rows_stored], ['duplicate', true, 0]);
    const after = await sql<{ n: string }>`select (select count(*) from ledger_record) + (select count(*) from rejected_row) + (select count(*) from ingested_file) as n`.execute(store().db);
    assert.equal(after.rows[0]!.n, before.rows[0]!.n);
  });

  test('gzip is recognised by its bytes; requests already stored from an overlapping export are duplicates', async () => {
    const file = write('overlap.data', zlib.gzipSync(fs.readFileSync(fixture('canonical-small.csv'), 'utf8').replace('req-004', 'req-004b')));
    const result = await ingestFile(store(), { kind: 'ledger', path: file });
    assert.deepEqual([result.status, result.rows_read, result.rows_stored, result.rows_duplicate, result.rows_rejected], ['loaded', 8, 1, 4, 3]);
    assert.equal((await records(sql`request_id = 'req-004b'`)).length, 1);
  });

  test('a row COPY cannot read (wrong field count) is quarantined and the file still loads', async () => {
    const file = write('ragged.csv', `${HEADER}\nrg-1,2026-05-06T00:00:00Z,openai,gpt-4o,10,1,search\nrg-2,2026-05-06T00:00:00Z,openai,gpt-4o,10,1,search,EXTRA\nrg-3,2026-05-06T00:00:01Z,openai,gpt-4o,20,2,\n`);
    const result = await ingestFile(store(), { kind: 'ledger', path: file });
    assert.deepEqual([result.rows_read, result.rows_stored, result.rows_rejected, result.rows_untagged], [3, 2, 1, 1]);
    const reject = await store().db.selectFrom('rejected_row').select(['line', 'reason']).where('ingested_file_id', '=', result.ingested_file_id).executeTakeFirstOrThrow();
    assert.deepEqual([reject.line, reject.reason], ['3', 'expected 7 fields, found 8']);
  });

  test('into a new month too: a record of another field count or bytes that are not UTF-8 make the screen give the file to the staged path', async () => {
    const ragged = await ingestFile(store(), { kind: 'ledger', path: write('ragged-new-month.csv', `${HEADER}\nrn-1,2027-09-06T00:00:00Z,openai,gpt-4o,10,1,search\nrn-2,2027-09-06T00:00:00Z,openai,gpt-4o,10,1,search,EXTRA\nrn-3,2027-09-06T00:00:01Z,openai,gpt-4o,20,2,\n`) });
    assert.deepEqual([ragged.rows_read, ragged.rows_stored, ragged.rows_rejected, ragged.rows_untagged], [3, 2, 1, 1]);
    const latin1 = await ingestFile(store(), { kind: 'ledger', path: write('latin1-new-month.csv', Buffer.concat([Buffer.from(`${HEADER}\nl-1,2027-10-06T00:00:00Z,openai,gpt-4o,10,1,caf`), Buffer.from([0xe9]), Buffer.from('\nl-2,2027-10-06T00:00:01Z,openai,gpt-4o,20,2,search\n')])) });
    // bytes that are not UTF-8 are a reject of their field (#16.12), no longer stored as U+FFFD
    assert.deepEqual([latin1.rows_read, latin1.rows_stored, latin1.rows_rejected], [2, 1, 1]);
  });

  test('many held records (more than a mebibyte) wait in a temporary file and are all checked', async () => {
    const lines = Array.from({ length: 20000 }, (_, i) => (i < 100 ? `h-${i},2027-12-01T00:00:00Z,openai,gpt-4o,10,1,search` : `h-${i},2027-12-01T00:00:00Z,openai,gpt-4o,+10,1,search-team-with-a-long-name`));
    const result = await ingestFile(store(), { kind: 'ledger', path: write('many-held.csv', [HEADER, ...lines].join('\n') + '\n') });
    assert.deepEqual([result.rows_read, result.rows_stored, result.rows_rejected], [20000, 100, 19900]);
    const last = await store().db.selectFrom('rejected_row').select(['line', 'field']).where('ingested_file_id', '=', result.ingested_file_id).orderBy('line', 'desc').limit(1).executeTakeFirstOrThrow();
    assert.deepEqual([last.line, last.field], ['20001', 'input_tokens']);
  });

  test('timestamp and amount checks: every cast is safe, leap days and offsets handled', async () => {
    const cases = [
      ['t-leap', '2024-02-29T00:00:00Z', '', 'ok'],
      ['t-frac-offset', '2026-07-01T12:00:00.5+02:00', '-0.5', 'ok'],
      ['t-space', '2026-07-01 12:00:00.123456Z', '.25', 'ok'],
      ['t-no-leap', '2026-02-29T00:00:00Z', '', 'timestamp'],
      ['t-compact-offset', '2026-07-01T12:00:00+0200', '', 'timestamp'],
      ['t-colons', '2026-07-01T1::00:00Z', '', 'timestamp'],
      ['t-hour-24', '2026-07-01T24:00:00Z', '', 'timestamp'],
      ['t-words', 'now', '', 'timestamp'],
      ['c-two-dots', '2026-07-01T12:00:00Z', '1.2.3', 'gateway_cost_usd'],
      ['c-dot', '2026-07-01T12:00:00Z', '.', 'gateway_cost_usd'],
      ['c-minus-inside', '2026-07-01T12:00:00Z', '1-2', 'gateway_cost_usd'],
    ];
    const file = write('checks.csv', 'request_id,timestamp,provider,response_model,input_tokens,output_tokens,gateway_cost_usd\n' + cases.map(([id, ts, cost]) => `${id},${ts},openai,gpt-4o,1,1,${cost}`).join('\n') + '\n');
    const result = await ingestFile(store(), { kind: 'ledger', path: file, monthWindow: 120 /* a 2024 leap day among 2026 rows: wider than the default month window */ });
    const stored = (await records(sql`ingested_file_id = ${result.ingested_file_id}::bigint`)).map((r) => r.request_id);
    assert.deepEqual(stored, cases.filter((c) => c[3] === 'ok').map((c) => c[0]).sort());
    const rejects = await store().db.selectFrom('rejected_row').select(['field', 'value']).where('ingested_file_id', '=', result.ingested_file_id).orderBy('line').execute();
    assert.deepEqual(rejects.map((r) => r.field), cases.filter((c) => c[3] !== 'ok').map((c) => c[3]));
    const [offset] = await records(sql`request_id = 't-frac-offset'`);
    assert.equal(new Date(offset!.ts!).toISOString(), '2026-07-01T10:00:00.500Z');
    assert.equal(offset!.gateway_cost_usd, '-0.5');
  });

  test('JSON Lines, LiteLLM and OTel files land in canonical meaning', async () => {
    const jsonl = await ingestFile(store(), { kind: 'ledger', path: fixture('canonical.jsonl') });
    assert.deepEqual([jsonl.format, jsonl.rows_read, jsonl.rows_stored, jsonl.rows_rejected, jsonl.rows_untagged], ['canonical-jsonl', 4, 2, 2, 1]);
    const jsonlRejects = await store().db.selectFrom('rejected_row').select(['line', 'field', 'value']).where('ingested_file_id', '=', jsonl.ingested_file_id).orderBy('line').execute();
    assert.deepEqual(jsonlRejects.map((r) => [r.line, r.field, r.value]), [['3', null, null], ['4', 'input_tokens', '12.5']]);

    const litellm = await ingestFile(store(), { kind: 'ledger', path: fixture('litellm-spendlogs.json') });
    assert.deepEqual([litellm.format, litellm.rows_read, litellm.rows_stored, litellm.rows_rejected], ['litellm', 4, 3, 1]);
    const [bedrock] = await records(sql`request_id = 'chatcmpl-ll-002'`);
    assert.deepEqual(
      [bedrock!.provider, bedrock!.input_tokens, bedrock!.cache_read_input_tokens, bedrock!.cache_write_5m_input_tokens, bedrock!.cache_write_1h_input_tokens, bedrock!.gateway_cost_usd],
      ['aws.bedrock', '9000', '6000', '1500', '500', '0.000012'],
    );

    const otel = await ingestFile(store(), { kind: 'ledger', path: fixture('otel-genai-spans.json') });
    assert.deepEqual([otel.format, otel.rows_read, otel.rows_stored], ['otel', 2, 2]);
    const [span] = await records(sql`request_id = 'b7ad6b7169203331'`);
    assert.deepEqual([span!.provider, span!.input_tokens, span!.cache_write_5m_input_tokens, span!.output_tokens, span!.reasoning_output_tokens, span!.status, span!.team], ['anthropic', '9000', '2000', '800', '300', 'error', 'sales']);
  });

  test('ledger --replace: a corrected export replaces the earlier file for the same provider and days, recorded', async () => {
    const first = await ingestFile(store(), { kind: 'ledger', path: write('mistral-v1.csv', `${HEADER}\nm-1,2026-06-01T00:00:00Z,mistral_ai,mistral-large,100,10,search\nm-2,2026-06-02T00:00:00Z,mistral_ai,mistral-large,100,10,search\n`) });
    // without --replace an overlapping ledger is fine: its requests dedupe
    const overlap = await ingestFile(store(), { kind: 'ledger', path: write('mistral-extra.csv', `${HEADER}\nm-2,2026-06-02T00:00:00Z,mistral_ai,mistral-large,100,10,search\n`) });
    assert.deepEqual([overlap.rows_stored, overlap.rows_duplicate, overlap.replaced_file_ids], [0, 1, []]);
    const corrected = await ingestFile(store(), {
      kind: 'ledger', path: write('mistral-v2.csv', `${HEADER}\nm-1,2026-06-01T00:00:00Z,mistral_ai,mistral-large,150,10,search\n`), replace: true, reason: 'gateway re-export after token fix',
    });
    // the extra file covers June 2 only, outside the corrected file's days: it stays
    assert.deepEqual(corrected.replaced_file_ids, [first.ingested_file_id]);
    assert.equal(corrected.rows_stored, 1);
    const rows = await records(sql`provider = 'mistral_ai' and retired_by is null`);
    assert.deepEqual(rows.map((r) => [r.request_id, r.input_tokens]), [['m-1', '150']]);
    // the replaced file's records are retired, not deleted: runs that recorded it still read them
    const retired = await records(sql`provider = 'mistral_ai' and retired_by = ${corrected.ingested_file_id}::bigint`);
    assert.deepEqual(retired.map((r) => [r.request_id, r.input_tokens, r.ingested_file_id]), [['m-1', '100', first.ingested_file_id], ['m-2', '100', first.ingested_file_id]]);
    const old = await store().db.selectFrom('ingested_file').select(['status', 'replaced_by', 'replace_reason']).where('id', '=', first.ingested_file_id).executeTakeFirstOrThrow();
    assert.deepEqual(old, { status: 'replaced', replaced_by: corrected.ingested_file_id, replace_reason: 'gateway re-export after token fix' });
  });

  test('every loaded ledger file is rolled up with its records for pricing; a replaced file keeps its groups, retired with it', async () => {
    const rolledUp = async (fileId: string) =>
      (await sql<{ stored: string; tokens: string; grouped: string; grouped_tokens: string; marked: string | null }>`
        select (select count(*) from ledger_record where ingested_file_id = ${fileId}::bigint)::text as stored,
               (select coalesce(sum(input_tokens + output_tokens), 0) from ledger_record where ingested_file_id = ${fileId}::bigint)::text as tokens,
               (select coalesce(sum(records), 0) from ledger_file_rollup where ingested_file_id = ${fileId}::bigint)::text as grouped,
               (select coalesce(sum(q_uncached + q_cached_input + q_cache_write_5m + q_cache_write_1h + q_output), 0) from ledger_file_rollup where ingested_file_id = ${fileId}::bigint)::text as grouped_tokens,
               (select records::text from ledger_rolled_up_file where ingested_file_id = ${fileId}::bigint) as marked`.execute(store().db)).rows[0]!;
    // screened CSV (records of a new month and of a month that has some), staged JSONL, a file of duplicates only
    const csv = await ingestFile(store(), { kind: 'ledger', path: write('rollup-a.csv', `${HEADER}\nru-1,2027-09-01T10:00:00Z,openai,gpt-4o,1000,10,search\nru-2,2027-09-01T11:00:00Z,openai,gpt-4o,3000,30,search\nru-3,2027-09-02T00:00:00Z,openai,gpt-4o,5,1,\n`) });
    const more = await ingestFile(store(), { kind: 'ledger', path: write('rollup-b.csv', `${HEADER}\nru-4,2027-09-01T12:00:00Z,openai,gpt-4o,7,1,search\nru-1,2027-09-01T10:00:00Z,openai,gpt-4o,1000,10,search\n`) });
    const jsonl = await ingestFile(store(), { kind: 'ledger', path: write('rollup.jsonl', fs.readFileSync(fixture('canonical.jsonl'), 'utf8').replaceAll('"j-', '"ru-j-').replaceAll('2026-05-', '2027-09-')) });
    const dupes = await ingestFile(store(), { kind: 'ledger', path: write('rollup-c.csv', `${HEADER}\nru-4,2027-09-01T12:00:00Z,openai,gpt-4o,7,1,search\n`) });
    for (const file of [csv, more, jsonl, dupes]) {
      const counts = await rolledUp(file.ingested_file_id);
      assert.equal(counts.stored, String(file.rows_stored));
      assert.deepEqual([counts.grouped, counts.grouped_tokens, counts.marked], [counts.stored, counts.tokens, counts.stored], file.file);
    }
    // ru-1 and ru-2 share a group (same day and shape): one row with both records' ranges
    const { rows: groups } = await sql<{ records: string; first_ts: Date; last_ts: Date; min_input_tokens: string; max_input_tokens: string }>`
      select records, first_ts, last_ts, min_input_tokens, max_input_tokens from ledger_file_rollup
      where ingested_file_id = ${csv.ingested_file_id}::bigint and team = 'search'`.execute(store().db);
    assert.deepEqual(groups.map((g) => [g.records, new Date(g.first_ts).toISOString(), new Date(g.last_ts).toISOString(), g.min_input_tokens, g.max_input_tokens]), [
      ['2', '2027-09-01T10:00:00.000Z', '2027-09-01T11:00:00.000Z', '1000', '3000'],
    ]);
    const corrected = await ingestFile(store(), {
      kind: 'ledger', path: write('rollup-a2.csv', `${HEADER}\nru-1,2027-09-01T10:00:00Z,openai,gpt-4o,1100,10,search\n`), replace: true, reason: 'corrected export',
    });
    assert.deepEqual(corrected.replaced_file_ids, [csv.ingested_file_id, more.ingested_file_id, dupes.ingested_file_id]);
    // kept for the runs that recorded the replaced file; new runs no longer read it (not loaded)
    assert.deepEqual(await rolledUp(csv.ingested_file_id), { stored: '3', tokens: '4046', grouped: '3', grouped_tokens: '4046', marked: '3' });
    assert.deepEqual(await rolledUp(corrected.ingested_file_id), { stored: '1', tokens: '1110', grouped: '1', grouped_tokens: '1110', marked: '1' });
  });

  test('invoices: lines stored, bad lines quarantined; an overlapping invoice is refused unless --replace', async () => {
    const result = await ingestFile(store(), { kind: 'invoice', path: fixture('invoice-canonical.csv') });
    assert.deepEqual([result.format, result.provider, result.rows_read, result.rows_stored, result.rows_rejected, result.first_day, result.last_day], ['canonical-invoice-csv', 'openai', 7, 5, 2, '2026-05-01', '2026-05-31']);
    const total = await sql<{ amount: string }>`select sum(amount)::text as amount from invoice_line where ingested_file_id = ${result.ingested_file_id}::bigint`.execute(store().db);
    assert.equal(total.rows[0]!.amount, '-4.25');

    const corrected = write('invoice-openai-v2.csv', 'provider,invoice_id,charge_date,model,token_category,service_tier,quantity,amount,currency,line_type\nopenai,INV-OA-2026-05,2026-05-01,gpt-4o-2024-08-06,input,standard,1200000,3.10,USD,usage\n');
    await assert.rejects(ingestFile(store(), { kind: 'invoice', path: corrected }), (error: unknown) => error instanceof UserError && /--replace/.test(error.hint ?? ''));
    const unchanged = await store().db.selectFrom('ingested_file').select('id').where('path', '=', corrected).execute();
    assert.equal(unchanged.length, 0, 'a refused file leaves nothing behind');

    const replaced = await ingestFile(store(), { kind: 'invoice', path: corrected, replace: true, reason: 'provider reissued the invoice' });
    assert.deepEqual(replaced.replaced_file_ids, [result.ingested_file_id]);
    const lines = await sql<{ amount: string }>`select sum(amount)::text as amount from invoice_line i join ingested_file f on f.id = i.ingested_file_id where f.status = 'loaded' and i.provider = 'openai'`.execute(store().db);
    assert.equal(lines.rows[0]!.amount, '3.10');
  });

  test('the screened load, into a new month or one that exists, stores and quarantines exactly what the staged load does', async () => {
    // Spellings the screen must turn into the staging insert's values, rows it must hold back
    // (another month, a fraction beyond microseconds, non-ASCII, failed checks) and a repeat.
    const header = 'request_id,timestamp,provider,response_model,input_tokens,output_tokens,cache_read_input_tokens,service_tier,status,http_status,team,gateway_cost_usd,attempt';
    const rows = [
      's-1,2027-03-05T10:00:00Z,OpenAI,gpt-4o,10,1,,Batch,ERROR,200,"",0.5,1',
      's-2,2027-03-05T10:00:00.123456+05:30,"anthropic","claude ""x"", big",10,1,5,,,"404",search,"-.5","3"',
      's-3,2027-03-01T01:00:00+02:00,openai,m,1,1,,,,,,,',
      's-4,2027-03-06T00:00:00.1234567Z,openai,m,1,1,,,,,,,',
      's-5,2027-03-06T00:00:00Z,Ünï,m,1,1,,,,,,,',
      's-6,2027-03-06T00:00:01Z,openai,m,+5,1,,,,,,,',
      's-7,2027-03-06T00:00:02Z,openai,m,1,1,,"",,,,,',
      's-8,2027-03-06 00:00:03,openai,m,1,1,,,,,,,',
      's-1,2027-03-05T10:00:00Z,OpenAI,gpt-4o,10,1,,Batch,ERROR,200,"",0.5,1',
      's-9,"2027-03-07T00:00:00Z",openai,"multi\nline",1,"2",,,"Partial",,team-a,,',
      's-10,2027-03-07T00:00:01Z,openai,m,1,1,,,,,,1e5,',
      's-11,2027-03-07T00:00:02Z,openai,m,1,1,,,,20,,,',
      's-12,2027-03-31T23:30:00-01:00,openai,m,1,1,"",,,,,,',
    ];
    const phases: string[] = [];
    const log = { debug: (msg: string, fields?: Record<string, unknown>) => void phases.push(String(fields?.phase ?? msg)), info: () => undefined, warn: () => undefined, error: () => undefined };
    const stored = async (fileId: string) =>
      (await sql<{ row: string }>`select (to_jsonb(r) - 'ingested_file_id')::text as row from ledger_record r where ingested_file_id = ${fileId}::bigint order by request_id`.execute(store().db)).rows.map((r) => r.row);
    const quarantined = async (fileId: string) =>
      (await sql`select line, field, value, reason, raw from rejected_row where ingested_file_id = ${fileId}::bigint order by line`.execute(store().db)).rows;

    const screened = await ingestFile(store(), { kind: 'ledger', path: write('screened.csv', [header, ...rows].join('\n') + '\n'), log: log as never });
    assert.ok(phases.includes('screened load'), phases.join(', '));
    const screenedRows = await stored(screened.ingested_file_id);
    // the same rows as a corrected export (one more, ignored, column), staged: the SQL checks decide every row
    phases.length = 0;
    const staged = await ingestFile(store(), { kind: 'ledger', path: write('staged.csv', [header + ',ignored', ...rows.map((r) => r + ',')].join('\n') + '\n'), replace: true, reason: 'same rows, staged', staged: true, log: log as never });
    assert.ok(phases.includes('stage') && !phases.includes('screened load'), phases.join(', '));
    assert.deepEqual(staged.replaced_file_ids, [screened.ingested_file_id]);
    const stagedRows = await stored(staged.ingested_file_id);
    // and once more, screened into the month that now exists (its rows inserted with ON CONFLICT)
    phases.length = 0;
    const existing = await ingestFile(store(), { kind: 'ledger', path: write('existing.csv', [header, ...rows].join('\r\n') + '\r\n'), replace: true, reason: 'same rows, screened again', log: log as never });
    assert.ok(phases.includes('screened load'), phases.join(', '));
    assert.deepEqual(existing.replaced_file_ids, [staged.ingested_file_id]);

    const summary = (r: typeof screened) => [r.rows_read, r.rows_stored, r.rows_duplicate, r.rows_rejected, r.rows_untagged, r.provider, r.first_day, r.last_day];
    assert.deepEqual(summary(screened), [13, 7, 1, 5, 5, null, '2027-02-28', '2027-04-01']);
    assert.deepEqual(summary(staged), summary(screened));
    assert.deepEqual(summary(existing), summary(screened));
    assert.deepEqual(stagedRows, screenedRows);
    assert.deepEqual(await stored(existing.ingested_file_id), screenedRows);
    assert.deepEqual(await quarantined(staged.ingested_file_id), await quarantined(screened.ingested_file_id));
    assert.deepEqual(await quarantined(existing.ingested_file_id), await quarantined(screened.ingested_file_id));
    const [s1] = await records(sql`request_id = 's-1'`);
    assert.deepEqual([s1!.provider, s1!.service_tier, s1!.status, s1!.cache_read_input_tokens, s1!.team, s1!.source_line], ['openai', 'batch', 'error', '0', null, '2']);
  });

  test('a file that cannot be read fails whole with a clear message', async () => {
    await assert.rejects(ingestFile(store(), { kind: 'ledger', path: path.join(tmp, 'missing.csv') }), /no such file/);
    await assert.rejects(ingestFile(store(), { kind: 'ledger', path: write('junk.csv', 'a,b\n1,2\n') }), (e: unknown) => e instanceof UserError && /cannot tell the format/.test(e.message));
    const truncated = write('truncated.csv.gz', zlib.gzipSync(fs.readFileSync(fixture('canonical-small.csv'))).subarray(0, 200));
    await assert.rejects(ingestFile(store(), { kind: 'ledger', path: truncated }));
    const left = await store().db.selectFrom('ingested_file').select('id').where('path', 'in', [truncated]).execute();
    assert.equal(left.length, 0);
  });

  void backend;
});
