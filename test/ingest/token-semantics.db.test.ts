import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import { describeOnBothEngines } from '../support/db.ts';
import { insertRateCard, rateCardLine, type RateCardLineInput } from '../support/builders.ts';
import { ingestFile } from '../../src/ingest/loader.ts';
import { summaryText } from '../../src/ingest/commands.ts';
import { priceRun, totalCost } from '../pricing/helpers.ts';

// Ledger token semantics that cannot go negative (#14.5): reasoning above output is quarantined;
// LiteLLM SpendLogs from releases that kept Anthropic / Bedrock cache writes out of prompt_tokens
// are read as such. Rows are shaped as LiteLLM_SpendLogs rows are (JSON columns, usage_object in
// metadata); their numbers are those reported in BerriAI/litellm issues (cited per row). Costs are
// worked out by hand from each row's uncached input, cache reads, cache writes and output.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-token-semantics-'));
const write = (name: string, text: string) => {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
};

interface SpendLog {
  request_id: string;
  startTime: string;
  model: string;
  custom_llm_provider: string;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens?: number;
  usage: Record<string, unknown>;
}

const spendLog = (r: SpendLog) =>
  JSON.stringify({
    request_id: r.request_id, call_type: 'acompletion', api_key: 'hashed-key', spend: 0.01, total_tokens: r.total_tokens ?? r.prompt_tokens + r.completion_tokens,
    prompt_tokens: r.prompt_tokens, completion_tokens: r.completion_tokens, startTime: r.startTime, endTime: r.startTime, model: r.model,
    model_group: r.model, custom_llm_provider: r.custom_llm_provider, team_id: 'research', status: 'success', request_tags: [],
    metadata: { user_api_key_team_id: 'research', usage_object: { prompt_tokens: r.prompt_tokens, completion_tokens: r.completion_tokens, ...r.usage } },
  });

// Anthropic list prices (USD per 1M tokens) as of 2025: Sonnet 4 $3 / $15, writes 1.25x, reads 0.1x;
// Opus 4.5 $5 / $25.
const card: RateCardLineInput[] = [
  ...(['anthropic', 'aws.bedrock'] as const).flatMap((provider) => [
    rateCardLine({ provider, model: 'claude-sonnet-4-20250514', token_category: 'input', unit_price: '3', effective_from: '2025-01-01' }),
    rateCardLine({ provider, model: 'claude-sonnet-4-20250514', token_category: 'cached_input', unit_price: '0.30', effective_from: '2025-01-01' }),
    rateCardLine({ provider, model: 'claude-sonnet-4-20250514', token_category: 'cache_write_5m', unit_price: '3.75', effective_from: '2025-01-01' }),
    rateCardLine({ provider, model: 'claude-sonnet-4-20250514', token_category: 'output', unit_price: '15', effective_from: '2025-01-01' }),
  ]),
  rateCardLine({ provider: 'aws.bedrock', model: 'claude-opus-4-5-20251101', token_category: 'input', unit_price: '5', effective_from: '2025-11-01' }),
  rateCardLine({ provider: 'aws.bedrock', model: 'claude-opus-4-5-20251101', token_category: 'cached_input', unit_price: '0.50', effective_from: '2025-11-01' }),
  rateCardLine({ provider: 'aws.bedrock', model: 'claude-opus-4-5-20251101', token_category: 'cache_write_5m', unit_price: '6.25', effective_from: '2025-11-01' }),
  rateCardLine({ provider: 'aws.bedrock', model: 'claude-opus-4-5-20251101', token_category: 'output', unit_price: '25', effective_from: '2025-11-01' }),
];

describeOnBothEngines('ledger token semantics', (store) => {
  const stored = async (fileId: string) =>
    (await sql<{ request_id: string; input_tokens: string; cache_read_input_tokens: string; cache_write_5m_input_tokens: string; output_tokens: string }>`
      select request_id, input_tokens::text, cache_read_input_tokens::text, cache_write_5m_input_tokens::text, output_tokens::text
      from ledger_record where ingested_file_id = ${fileId}::bigint order by request_id`.execute(store().db)).rows;

  test('reasoning tokens above output tokens are quarantined with a reason, on the screened and the staged path', async () => {
    const header = 'request_id,timestamp,provider,response_model,input_tokens,output_tokens,reasoning_output_tokens';
    const rows = [
      'rs-1,2027-06-01T10:00:00Z,openai,o3-2025-04-16,1000,700,512',
      'rs-2,2027-06-01T10:00:01Z,openai,o3-2025-04-16,1000,600,900',
      'rs-3,2027-06-01T10:00:02Z,openai,o3-2025-04-16,1000,"0600","00601"',
      'rs-4,2027-06-01T10:00:03Z,openai,o3-2025-04-16,1000,600,600',
      'rs-5,2027-06-01T10:00:04Z,openai,o3-2025-04-16,1000,99,100',
    ];
    const check = async (result: Awaited<ReturnType<typeof ingestFile>>) => {
      assert.deepEqual([result.rows_read, result.rows_stored, result.rows_rejected], [5, 2, 3]);
      assert.deepEqual((await stored(result.ingested_file_id)).map((r) => r.request_id), ['rs-1', 'rs-4']);
      const rejects = (await sql<{ line: string; field: string; value: string; reason: string }>`
        select line::text, field, value, reason from rejected_row where ingested_file_id = ${result.ingested_file_id}::bigint order by line`.execute(store().db)).rows;
      assert.deepEqual(rejects.map((r) => [r.line, r.field, r.value]), [['3', 'reasoning_output_tokens', '900'], ['4', 'reasoning_output_tokens', '00601'], ['6', 'reasoning_output_tokens', '100']]);
      assert.match(rejects[0]!.reason, /reasoning_output_tokens above output_tokens/);
    };
    const phases: string[] = [];
    const log = { debug: (msg: string, fields?: Record<string, unknown>) => void phases.push(String(fields?.phase ?? msg)), info: () => undefined, warn: () => undefined, error: () => undefined };
    await check(await ingestFile(store(), { kind: 'ledger', path: write('reasoning.csv', [header, ...rows].join('\n') + '\n'), log: log as never }));
    assert.ok(phases.includes('screened load'), phases.join(', '));
    // the same rows through the staging table and the SQL checks alone (a later export replacing the first)
    await check(await ingestFile(store(), {
      kind: 'ledger', path: write('reasoning-staged.csv', [header, ...rows].join('\n') + '\n\n'), staged: true, replace: true, reason: 'the same rows, staged',
    }));
  });

  test('LiteLLM SpendLogs: rows from releases that kept cache writes out of prompt_tokens are read so, and priced right', async () => {
    await insertRateCard(store(), 'sonnet-4', card.filter((l) => l.model === 'claude-sonnet-4-20250514'));
    const august = [
      // BerriAI/litellm#13207 (v1.74.9, 2025-08): 88 uncached + 120,269 cache reads + 21,002 cache
      // writes, 4,156 output; LiteLLM's prompt_tokens 120,357 = 88 + 120,269 (the writes left out),
      // total 124,513. prompt_tokens below reads + writes: decided by the counts.
      spendLog({
        request_id: 'll-a1', startTime: '2025-08-01 09:00:00', model: 'claude-sonnet-4-20250514', custom_llm_provider: 'anthropic',
        prompt_tokens: 120_357, completion_tokens: 4156,
        usage: { total_tokens: 124_513, prompt_tokens_details: { cached_tokens: 120_269 }, cache_read_input_tokens: 120_269, cache_creation_input_tokens: 21_002 },
      }),
      // 30,000 uncached + 8,000 writes under the same release: prompt_tokens 30,000 fit both
      // readings; the Anthropic row above settles it for the file.
      spendLog({
        request_id: 'll-a2', startTime: '2025-08-01 09:05:00', model: 'claude-sonnet-4-20250514', custom_llm_provider: 'anthropic',
        prompt_tokens: 30_000, completion_tokens: 500, usage: { cache_read_input_tokens: 0, cache_creation_input_tokens: 8000 },
      }),
      // Bedrock Converse before #15292: prompt_tokens = inputTokens + cacheReadInputTokens, while
      // total_tokens is Bedrock's totalTokens (input + reads + writes + output): 20,000 + 5,000 + 300.
      spendLog({
        request_id: 'll-b1', startTime: '2025-08-02 10:00:00', model: 'bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0', custom_llm_provider: 'bedrock',
        prompt_tokens: 20_000, completion_tokens: 300, total_tokens: 25_300, usage: { cache_read_input_tokens: 0, cache_creation_input_tokens: 5000 },
      }),
      // LiteLLM's Gemini usage once left thinking tokens out of completion_tokens: 900 reasoning
      // tokens beside 600 completion tokens cannot be read without going negative.
      spendLog({
        request_id: 'll-g1', startTime: '2025-08-02 11:00:00', model: 'gemini-2.5-pro', custom_llm_provider: 'vertex_ai',
        prompt_tokens: 1000, completion_tokens: 600, usage: { completion_tokens_details: { reasoning_tokens: 900 } },
      }),
    ];
    const result = await ingestFile(store(), { kind: 'ledger', path: write('spendlogs-2025-08.jsonl', august.join('\n') + '\n') });
    assert.deepEqual([result.format, result.rows_read, result.rows_stored, result.rows_rejected], ['litellm', 4, 3, 1]);
    assert.deepEqual(
      (await stored(result.ingested_file_id)).map((r) => [r.request_id, r.input_tokens, r.cache_read_input_tokens, r.cache_write_5m_input_tokens]),
      [['ll-a1', '141359', '120269', '21002'], ['ll-a2', '38000', '0', '8000'], ['ll-b1', '25000', '0', '5000']],
    );
    assert.deepEqual(result.prompt_readings, [
      { reading: 'writes_excluded', basis: 'counts', rows: 1, lines: [1] },
      { reading: 'writes_excluded', basis: 'total_tokens', rows: 1, lines: [3] },
      { reading: 'writes_excluded', basis: 'file', rows: 1, lines: [2] },
    ]);
    assert.match(summaryText(result), /1 row\(s\): prompt_tokens kept cache writes out \(writes added to input\), their counts allow nothing else \(line\(s\) 1\)/);
    const [reject] = (await sql<{ line: string; field: string; value: string }>`
      select line::text, field, value from rejected_row where ingested_file_id = ${result.ingested_file_id}::bigint`.execute(store().db)).rows;
    assert.deepEqual(reject, { line: '4', field: 'reasoning_output_tokens', value: '900' });

    const { runId } = await priceRun(store(), '2025-08');
    // ll-a1: 88 x 3 + 120,269 x 0.30 + 21,002 x 3.75 + 4,156 x 15 = 177,442.2 per 1M = $0.1774422
    // ll-a2: 30,000 x 3 + 8,000 x 3.75 + 500 x 15 = 127,500 per 1M = $0.1275
    assert.equal(await totalCost(store(), runId, { model: 'claude-sonnet-4-20250514', day: '2025-08-01' }), '0.3049422');
    // ll-b1: 20,000 x 3 + 5,000 x 3.75 + 300 x 15 = 83,250 per 1M
    assert.equal(await totalCost(store(), runId, { model: 'claude-sonnet-4-20250514', day: '2025-08-02' }), '0.08325');
  });

  test('LiteLLM SpendLogs: a row its numbers leave open is read as inclusive by default, and as the flag says', async () => {
    // BerriAI/litellm#11364 (v1.80.11, 2026-01, Bedrock eu. Opus 4.5): prompt_tokens 98,805 =
    // 10 uncached + 66,360 reads + 32,435 writes, 5,120 output (1,710 reasoning), total 103,925.
    const row = (id: string, at: string) =>
      spendLog({
        request_id: id, startTime: at, model: 'bedrock/eu.anthropic.claude-opus-4-5-20251101-v1:0', custom_llm_provider: 'bedrock',
        prompt_tokens: 98_805, completion_tokens: 5120,
        usage: {
          total_tokens: 103_925, prompt_tokens_details: { cached_tokens: 66_360, cache_creation_tokens: 32_435 }, cache_read_input_tokens: 66_360,
          cache_creation_input_tokens: 32_435, completion_tokens_details: { reasoning_tokens: 1710 },
        },
      });
    const inclusive = await ingestFile(store(), { kind: 'ledger', path: write('spendlogs-2026-01.jsonl', row('ll-o1', '2026-01-19 08:00:00') + '\n') });
    assert.deepEqual(inclusive.prompt_readings, [{ reading: 'writes_included', basis: 'default', rows: 1, lines: [1] }]);
    assert.match(summaryText(inclusive), /--litellm-cache-writes excluded/);
    const excluded = await ingestFile(store(), { kind: 'ledger', path: write('spendlogs-2026-02.jsonl', row('ll-o2', '2026-02-19 08:00:00') + '\n'), litellmCacheWrites: 'excluded' });
    assert.deepEqual(excluded.prompt_readings, [{ reading: 'writes_excluded', basis: 'flag', rows: 1, lines: [1] }]);
    assert.deepEqual((await stored(inclusive.ingested_file_id)).map((r) => r.input_tokens), ['98805']);
    assert.deepEqual((await stored(excluded.ingested_file_id)).map((r) => r.input_tokens), ['131240']);

    await insertRateCard(store(), 'opus-4-5', card.filter((l) => l.model === 'claude-opus-4-5-20251101'));
    // 10 x 5 + 66,360 x 0.50 + 32,435 x 6.25 + 5,120 x 25 = 363,948.75 per 1M
    assert.equal(await totalCost(store(), (await priceRun(store(), '2026-01')).runId, { model: 'claude-opus-4-5-20251101' }), '0.36394875');
    // read as writes-excluded the same numbers are 32,445 uncached: 162,225 + 33,180 + 202,718.75 + 128,000
    assert.equal(await totalCost(store(), (await priceRun(store(), '2026-02')).runId, { model: 'claude-opus-4-5-20251101' }), '0.52612375');
  });
});
