import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import type { CanonicalLedgerRow, ParsedRow, SourceFormat } from '../../src/ingest/format.ts';
import { canonicalInvoiceCsv } from '../../src/ingest/canonical-invoice.ts';
import { canonicalLedgerCsv, canonicalLedgerJsonl } from '../../src/ingest/ledger-formats/canonical.ts';
import { litellmSpendLogs } from '../../src/ingest/ledger-formats/litellm.ts';
import { otelGenAiSpans } from '../../src/ingest/ledger-formats/otel.ts';
import { fromUnixNano, normalizeTier, ownershipFromTags, toRfc3339 } from '../../src/ingest/ledger-formats/normalize.ts';
import { chooseFormat } from '../../src/ingest/registry.ts';
import { RecordChunker, csvLine } from '../../src/ingest/csv-text.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/ledger');
const fixture = (name: string) => path.join(FIXTURES, name);

async function parseAll<T>(format: SourceFormat<T>, file: string): Promise<ParsedRow<T>[]> {
  const out: ParsedRow<T>[] = [];
  for await (const item of format.parse(fs.createReadStream(file), { fileName: file })) out.push(item);
  return out;
}

function rows(items: ParsedRow<CanonicalLedgerRow>[]): Map<string, CanonicalLedgerRow> {
  return new Map(items.flatMap((i) => ('row' in i ? [[i.row.request_id, i.row] as const] : [])));
}

const head = (name: string) => fs.readFileSync(fixture(name), 'utf8').slice(0, 65536);

test('formats are detected from the content, not the file name', () => {
  assert.equal(chooseFormat('ledger', head('canonical-small.csv'), 'x.txt')?.name, 'canonical-csv');
  assert.equal(chooseFormat('ledger', head('canonical.jsonl'), 'x.txt')?.name, 'canonical-jsonl');
  assert.equal(chooseFormat('ledger', head('litellm-spendlogs.json'), 'x.txt')?.name, 'litellm');
  assert.equal(chooseFormat('ledger', head('litellm-spendlogs.csv'), 'x.txt')?.name, 'litellm');
  assert.equal(chooseFormat('ledger', head('otel-genai-spans.json'), 'x.txt')?.name, 'otel');
  assert.equal(chooseFormat('invoice', head('invoice-canonical.csv'), 'x.txt')?.name, 'canonical-invoice-csv');
  assert.equal(chooseFormat('ledger', 'hello,world\n1,2\n', 'x.csv'), undefined);
});

test('canonical JSON Lines: canonical counts pass through; a malformed line is a reject with its line number', async () => {
  const items = await parseAll(canonicalLedgerJsonl, fixture('canonical.jsonl'));
  const byId = rows(items);
  assert.deepEqual(
    { input: byId.get('j-1')!.input_tokens, output: byId.get('j-1')!.output_tokens, read: byId.get('j-1')!.cache_read_input_tokens, team: byId.get('j-1')!.team },
    { input: '2400', output: '350', read: '2048', team: 'support' },
  );
  const j2 = byId.get('j-2')!;
  assert.deepEqual([j2.input_tokens, j2.cache_read_input_tokens, j2.cache_write_5m_input_tokens, j2.cache_write_1h_input_tokens, j2.service_tier, j2.team], ['9000', '6000', '1500', '500', 'batch', null]);
  const reject = items.find((i) => 'reject' in i);
  assert.equal(reject?.line, 3);
  assert.match((reject as { reject: { reason: string } }).reject.reason, /not valid JSON/);
});

test('LiteLLM JSON: OpenAI-style prompt_tokens already include cached tokens; Anthropic cache writes split 5m/1h', async () => {
  const items = await parseAll(litellmSpendLogs, fixture('litellm-spendlogs.json'));
  const byId = rows(items);
  const openai = byId.get('chatcmpl-ll-001')!;
  assert.deepEqual(
    [openai.provider, openai.response_model, openai.requested_model, openai.input_tokens, openai.cache_read_input_tokens, openai.output_tokens, openai.timestamp],
    ['openai', 'gpt-4o-2024-08-06', 'gpt-4o', '2400', '2048', '350', '2026-05-04T10:00:00.250Z'],
  );
  assert.deepEqual([openai.team, openai.service, openai.environment, openai.user_id, openai.gateway_cost_usd, openai.status], ['support', 'triage', 'production', 'u-17', '0.0061', 'ok']);
  // 9,000 prompt tokens = 2,000 uncached + 6,000 cache reads + 1,500 5m writes + 500 1h writes
  const bedrock = byId.get('chatcmpl-ll-002')!;
  assert.deepEqual(
    [bedrock.provider, bedrock.response_model, bedrock.input_tokens, bedrock.cache_read_input_tokens, bedrock.cache_write_5m_input_tokens, bedrock.cache_write_1h_input_tokens],
    ['aws.bedrock', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', '9000', '6000', '1500', '500'],
  );
  assert.equal(bedrock.timestamp, '2026-05-04T11:30:00Z', 'a timestamp without offset is UTC');
  assert.equal(bedrock.gateway_cost_usd, '0.000012', 'a float spend in exponent form becomes decimal text');
  assert.equal(bedrock.team, null);
  // prompt_tokens (1,000) smaller than the cache counts (3,400) cannot include them: input = 4,400
  const anthropic = byId.get('chatcmpl-ll-003')!;
  assert.deepEqual([anthropic.input_tokens, anthropic.cache_read_input_tokens, anthropic.cache_write_5m_input_tokens, anthropic.status], ['4400', '3000', '400', 'error']);
  const reject = items.find((i) => 'reject' in i) as { line: number; reject: { field?: string; value?: string } };
  assert.deepEqual([reject.line, reject.reject.field, reject.reject.value], [4, 'prompt_tokens', 'many']);
});

test('LiteLLM CSV: JSON columns read from text, reasoning inside completion tokens', async () => {
  const byId = rows(await parseAll(litellmSpendLogs, fixture('litellm-spendlogs.csv')));
  const first = byId.get('chatcmpl-ll-101')!;
  assert.deepEqual([first.timestamp, first.input_tokens, first.cache_read_input_tokens, first.service, first.gateway_key_id], ['2026-05-05T10:00:00.250Z', '2400', '2048', 'triage', 'hk-1']);
  const o3 = byId.get('chatcmpl-ll-102')!;
  assert.deepEqual([o3.output_tokens, o3.reasoning_output_tokens, o3.team, o3.input_tokens], ['700', '512', null, '5000']);
});

test('OTel GenAI spans: inclusive input per the conventions; gen_ai.system and uncached-only input handled; non-GenAI spans skipped', async () => {
  const items = await parseAll(otelGenAiSpans, fixture('otel-genai-spans.json'));
  assert.equal(items.length, 2);
  const [openai, anthropic] = items.map((i) => ('row' in i ? { line: i.line, ...i.row } : assert.fail('unexpected reject')));
  assert.deepEqual(
    [openai!.line, openai!.request_id, openai!.timestamp, openai!.provider, openai!.response_model, openai!.requested_model, openai!.input_tokens, openai!.cache_read_input_tokens, openai!.output_tokens],
    [1, 'eee19b7ec3c1b174', '2026-05-05T10:00:00.123456789Z', 'openai', 'gpt-4o-2024-08-06', 'gpt-4o', '2400', '2048', '350'],
  );
  assert.deepEqual([openai!.service_tier, openai!.team, openai!.service, openai!.environment, openai!.provider_response_id, openai!.trace_id], ['standard', 'support', 'support-triage', 'production', 'chatcmpl-AbC123', '5b8efff798038103d269b633813fc60c']);
  // Anthropic-style 1,000 uncached input + 6,000 cache reads + 2,000 cache writes = 9,000 input
  assert.deepEqual(
    [anthropic!.line, anthropic!.provider, anthropic!.input_tokens, anthropic!.cache_read_input_tokens, anthropic!.cache_write_5m_input_tokens, anthropic!.output_tokens, anthropic!.reasoning_output_tokens],
    [3, 'anthropic', '9000', '6000', '2000', '800', '300'],
  );
  assert.deepEqual([anthropic!.status, anthropic!.team, anthropic!.service, anthropic!.conversation_id], ['error', 'sales', 'sales-copilot', 'conv-9']);
});

test('canonical ledger CSV (record-by-record reader): ragged rows are rejects, the rest are rows', async () => {
  const text = 'request_id,timestamp,provider,response_model,input_tokens,output_tokens\nr1,2026-05-01T00:00:00Z,openai,gpt-4o,10,1\nr2,2026-05-01T00:00:00Z,openai,gpt-4o,10,1,EXTRA\n"r3",2026-05-01T00:00:00Z,openai,"gpt, quoted",10,1\n';
  const items: ParsedRow<CanonicalLedgerRow>[] = [];
  for await (const item of canonicalLedgerCsv.parse(Readable.from([text]), { fileName: 'x' })) items.push(item);
  assert.deepEqual(items.map((i) => ('row' in i ? [i.line, i.row.request_id, i.row.response_model] : [i.line, i.reject.reason])), [
    [2, 'r1', 'gpt-4o'],
    [3, 'expected 6 fields, found 7'],
    [4, 'r3', 'gpt, quoted'],
  ]);
});

test('canonical invoice CSV: lines with amounts as text, unmapped usage kept, bad lines named', async () => {
  const items = await parseAll(canonicalInvoiceCsv, fixture('invoice-canonical.csv'));
  const good = items.flatMap((i) => ('row' in i ? [i.row] : []));
  assert.equal(good.length, 5);
  assert.deepEqual([good[0]!.provider_model, good[0]!.model, good[0]!.token_category, good[0]!.quantity, good[0]!.amount, good[0]!.mapping_rule], ['gpt-4o-2024-08-06', 'gpt-4o-2024-08-06', 'input', '1200000', '3.00', 'canonical']);
  assert.equal(good[2]!.service_tier, 'batch');
  assert.deepEqual([good[3]!.sku, good[3]!.mapping_rule, good[3]!.amount], ['Realtime audio minutes', null, '1.25']);
  assert.deepEqual([good[4]!.line_type, good[4]!.amount, good[4]!.mapping_rule], ['credit', '-10.00', 'canonical']);
  const rejects = items.flatMap((i) => ('reject' in i ? [[i.line, i.reject.field, i.reject.value]] : []));
  assert.deepEqual(rejects, [
    [7, 'amount', '$4.00'],
    [8, 'charge_date', '2026-05-32'],
  ]);
});

test('normalizers: timestamps, tiers, tags', () => {
  assert.equal(toRfc3339('2026-05-04 11:30:00.5'), '2026-05-04T11:30:00.5Z');
  assert.equal(toRfc3339('2026-05-04T11:30:00+02:00'), '2026-05-04T11:30:00+02:00');
  assert.equal(fromUnixNano('1777975200000000000'), '2026-05-05T10:00:00Z');
  assert.equal(normalizeTier('default'), 'standard');
  assert.equal(normalizeTier('scale'), 'priority');
  assert.equal(normalizeTier('flex'), 'flex');
  assert.deepEqual(ownershipFromTags(['team:search', 'env=staging', 'free text', 'team:other']), { team: 'search', environment: 'staging' });
});

test('record chunker cuts only between records, never inside a quoted newline', () => {
  const chunker = new RecordChunker(8);
  const text = csvLine(['a', 'line one\nline two']) + csvLine(['b', 'x']) + csvLine(['c', 'y']);
  const parts: Buffer[] = [];
  for (let i = 0; i < text.length; i += 5) parts.push(...chunker.push(Buffer.from(text.slice(i, i + 5))));
  const rest = chunker.end();
  if (rest) parts.push(rest);
  assert.equal(parts.map((p) => p.toString()).join(''), text);
  for (const part of parts) assert.equal((part.toString().match(/"/g) ?? []).length % 2, 0, 'every chunk holds whole records');
});
