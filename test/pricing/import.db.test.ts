import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { sql } from 'kysely';
import { describeEachBackend } from '../support/db.ts';
import { insertLedgerRecords, ledgerRecord } from '../support/builders.ts';
import { importRateCard } from '../../src/pricing/import-card.ts';
import { UserError } from '../../src/command-context.ts';
import { priceRun, totalCost } from './helpers.ts';

const LITELLM = '/work/shared/reference/data/litellm_model_prices_and_context_window.json';
const litellmPath = fs.existsSync(LITELLM) ? LITELLM : new URL('../../../shared/reference/data/litellm_model_prices_and_context_window.json', import.meta.url).pathname;

const csv = (rows: string[]) =>
  Buffer.from(['provider,model,service_tier,token_category,unit_price,effective_from,effective_to,card_version,source', ...rows].join('\n') + '\n');

describeEachBackend('rate card import', (store) => {
  test('LiteLLM price map: real file, exact per-1M prices, tiers, 1h cache writes, long context, Bedrock and Azure', async () => {
    const bytes = fs.readFileSync(litellmPath);
    const result = await importRateCard(store().db, { path: litellmPath, bytes, format: 'litellm', effectiveFrom: '2026-01-01', cardVersion: 'litellm-2026-01' });
    assert.equal(result.status, 'imported');
    assert.ok(result.lines > 3000, `lines ${result.lines}`);
    const price = async (provider: string, model: string, tier: string, category: string, region = '', min = '0') => {
      const { rows } = await sql<{ p: string }>`
        select unit_price::text as p from rate_card_line l join rate_card_version v on v.id = l.card_version_id
        where v.card_version = 'litellm-2026-01' and provider = ${provider} and model = ${model} and service_tier = ${tier}
          and token_category = ${category} and region = ${region} and min_input_tokens = ${min}::bigint`.execute(store().db);
      return rows.map((r) => r.p);
    };
    assert.deepEqual(await price('openai', 'gpt-4o', 'standard', 'input'), ['2.5']);
    assert.deepEqual(await price('openai', 'gpt-4o', 'standard', 'cached_input'), ['1.25']);
    assert.deepEqual(await price('openai', 'gpt-4o', 'standard', 'output'), ['10']);
    assert.deepEqual(await price('openai', 'gpt-4o', 'batch', 'input'), ['1.25']);
    assert.deepEqual(await price('openai', 'gpt-4o', 'priority', 'input'), ['4.25']);
    assert.deepEqual(await price('openai', 'gpt-4o-mini', 'standard', 'cached_input'), ['0.075']);
    assert.deepEqual(await price('openai', 'gpt-5', 'flex', 'cached_input'), ['0.0625']);
    assert.deepEqual(await price('anthropic', 'claude-sonnet-4-5-20250929', 'standard', 'cache_write_5m'), ['3.75']);
    assert.deepEqual(await price('anthropic', 'claude-sonnet-4-5-20250929', 'standard', 'cache_write_1h'), ['6']);
    assert.deepEqual(await price('anthropic', 'claude-sonnet-4-5-20250929', 'standard', 'input', '', '200000'), ['6']);
    assert.deepEqual(await price('anthropic', 'claude-sonnet-4-5-20250929', 'standard', 'cache_write_1h', '', '200000'), ['12']);
    assert.deepEqual(await price('aws.bedrock', 'claude-sonnet-4-5-20250929', 'standard', 'input'), ['3']);
    assert.deepEqual(await price('aws.bedrock', 'claude-sonnet-4-5-20250929', 'standard', 'input', 'us'), ['3.3']);
    assert.deepEqual(await price('azure.ai.openai', 'gpt-4o-2024-08-06', 'standard', 'input'), ['2.5']);
    assert.deepEqual(await price('azure.ai.openai', 'gpt-4o-2024-08-06', 'standard', 'input', 'eu'), ['2.75']);
    const { rows: aliases } = await sql<{ model: string }>`
      select model from model_alias where provider = 'azure.ai.openai' and alias = 'azure/gpt-4o-2024-08-06'`.execute(store().db);
    assert.deepEqual(aliases, [{ model: 'gpt-4o-2024-08-06' }]);

    // priced end to end: a Bedrock us. profile record with a 1h cache write
    await insertLedgerRecords(store(), [
      ledgerRecord({
        provider: 'aws.bedrock', response_model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', ts: '2026-02-03T10:00:00Z',
        input_tokens: 150_000, cache_write_1h_input_tokens: 50_000, output_tokens: 0,
      }),
    ]);
    const { runId } = await priceRun(store(), '2026-02');
    // 100k uncached x 3.3 + 50k 1h writes x 6.6 per 1M (below the 200k long-context threshold)
    assert.equal(await totalCost(store(), runId, { model: 'claude-sonnet-4-5-20250929' }), '0.66');

    const again = await importRateCard(store().db, { path: litellmPath, bytes, format: 'litellm', effectiveFrom: '2026-01-01' });
    assert.equal(again.status, 'already_imported');
    assert.equal(again.card_version, 'litellm-2026-01');
  });

  test('haiku cache-read price-map error (8e-07 instead of 8e-08) corrected with --supersedes (user-pain 12)', async () => {
    const model = 'claude-3-5-haiku-20241022';
    const line = (category: string, price: string, version: string) => `anthropic,${model},standard,${category},${price},2025-02-28T05:07:43Z,,${version},litellm 2025-02-28`;
    await importRateCard(store().db, { path: 'haiku-wrong.csv', format: 'csv', bytes: csv([line('input', '0.8', 'haiku-wrong'), line('cached_input', '0.8', 'haiku-wrong')]) });
    await insertLedgerRecords(store(), [ledgerRecord({ provider: 'anthropic', response_model: model, ts: '2025-03-10T00:00:00Z', input_tokens: 1_000_000, cache_read_input_tokens: 1_000_000, output_tokens: 0 })]);
    const wrong = await priceRun(store(), '2025-03');
    assert.equal(await totalCost(store(), wrong.runId, { model, category: 'cached_input' }), '0.8');

    await assert.rejects(
      importRateCard(store().db, { path: 'haiku-fix.csv', format: 'csv', bytes: csv([line('cached_input', '0.08', 'haiku-fix')]) }),
      (error: Error) => error instanceof UserError && /cached_input/.test(error.message) && /haiku-wrong/.test(error.message) && /--supersedes haiku-wrong/.test(error.hint ?? ''),
    );
    const fixed = await importRateCard(store().db, { path: 'haiku-fix.csv', format: 'csv', bytes: csv([line('cached_input', '0.08', 'haiku-fix')]), supersedes: 'haiku-wrong' });
    assert.equal(fixed.retired_lines, 1);
    const rerun = await priceRun(store(), '2025-03');
    assert.equal(await totalCost(store(), rerun.runId, { model, category: 'cached_input' }), '0.08');
    // the input line of the wrong version is untouched; the old run keeps what it priced
    assert.equal(await totalCost(store(), rerun.runId, { model, category: 'input' }), '0');
    assert.equal(await totalCost(store(), wrong.runId, { model, category: 'cached_input' }), '0.8');
  });

  test('a real price change (claude-haiku-4-5 on Bedrock eu., 2025-10-18) with --supersedes keeps earlier days at the old price', async () => {
    const model = 'claude-haiku-4-5-20251001';
    // bounded ranges: this database also holds the LiteLLM card from 2026-01-01
    const row = (price: string, from: string, version: string) => `aws.bedrock,${model},standard,input,${price},${from},2025-12-01,${version},litellm history`;
    await importRateCard(store().db, { path: 'h45-v1.csv', format: 'csv', bytes: csv([row('1', '2025-10-01', 'h45-v1')]) });
    await importRateCard(store().db, { path: 'h45-v2.csv', format: 'csv', bytes: csv([row('1.1', '2025-10-18T03:16:07Z', 'h45-v2')]), supersedes: 'h45-v1' });
    await insertLedgerRecords(store(), [
      ledgerRecord({ provider: 'aws.bedrock', response_model: `anthropic.${model}-v1:0`, ts: '2025-10-18T03:16:06Z', input_tokens: 1_000_000, output_tokens: 0 }),
      ledgerRecord({ provider: 'aws.bedrock', response_model: `anthropic.${model}-v1:0`, ts: '2025-10-18T03:16:07Z', input_tokens: 1_000_000, output_tokens: 0 }),
    ]);
    const { runId } = await priceRun(store(), '2025-10');
    assert.equal(await totalCost(store(), runId, { model }), '2.1');
  });

  test('a bad card file is refused whole with the line and field of each problem', async () => {
    await assert.rejects(
      importRateCard(store().db, { path: 'bad.csv', format: 'csv', bytes: csv(['openai,m,standard,input,,2026-01-01,,bad-v1,x', 'openai,m,standard,input,1,2026-01-01,,bad-v1,x']) }),
      (error: Error) => error instanceof UserError && /line 2 unit_price/.test(error.message),
    );
    const { rows } = await sql<{ n: string }>`select count(*)::text as n from rate_card_version where card_version = 'bad-v1'`.execute(store().db);
    assert.equal(rows[0]!.n, '0');
  });
});
