import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { sql } from 'kysely';
import { describeEachBackend } from '../support/db.ts';
import { insertLedgerRecords, ledgerRecord, type LedgerRecordInput } from '../support/builders.ts';
import { Decimal } from '../../src/money.ts';
import { importRateCard } from '../../src/pricing/import-card.ts';
import { normal, priceRun } from './helpers.ts';

// LiteLLM's own cost cases, priced by recon from a LiteLLM price map (#14): the usages and
// expected costs of BerriAI/litellm tests/test_litellm/litellm_core_utils/llm_cost_calc/
// test_llm_cost_calc_utils.py and tests of batch_cost_calculator, with the map entries they read
// (real entries of model_prices_and_context_window.json, shared/reference/data; the model_info
// dictionaries those tests build inline, as map entries). Where recon shares LiteLLM's semantics
// its cost equals LiteLLM's expected value exactly (computed here from the test's own literals).
// Where recon deliberately differs (README, "LiteLLM's cost semantics and recon's"), the test says
// what each gives.

const realMap = JSON.parse(fs.readFileSync('/work/shared/reference/data/litellm_model_prices_and_context_window.json', 'utf8')) as Record<string, Record<string, unknown>>;
const real = (key: string) => {
  assert.ok(realMap[key], `${key} is in the reference price map`);
  return realMap[key]!;
};
const d = (text: string) => new Decimal(text);

const map = {
  'gpt-5-nano': real('gpt-5-nano'),
  'gpt-4': real('gpt-4'),
  o1: real('o1'),
  'gemini-2.5-flash': real('gemini-2.5-flash'),
  'gemini-2.5-pro': real('gemini-2.5-pro'),
  'claude-sonnet-4-5-20250929': real('claude-sonnet-4-5-20250929'),
  // test_get_token_base_cost_picks_highest_crossed_tier
  'litellm-test-tiers': {
    litellm_provider: 'openai', mode: 'chat', input_cost_per_token: 1e-6, output_cost_per_token: 2e-6,
    input_cost_per_token_above_90k_tokens: 5e-6, input_cost_per_token_above_128k_tokens: 9e-6,
  },
  // test_string_cost_values_with_threshold (prices written as strings)
  'litellm-test-string-costs': {
    litellm_provider: 'openai', mode: 'chat', input_cost_per_token: '1e-6', output_cost_per_token: '2e-6',
    input_cost_per_token_above_200k_tokens: '5e-7', output_cost_per_token_above_200k_tokens: '1e-6',
  },
  // test_batch_cost_calculator_uses_custom_model_info
  'fake-batch-model': { litellm_provider: 'openai', mode: 'chat', input_cost_per_token_batches: 0.00125, output_cost_per_token_batches: 0.005 },
};

interface Case {
  name: string;
  record: Partial<LedgerRecordInput> & Pick<LedgerRecordInput, 'provider' | 'response_model' | 'input_tokens' | 'output_tokens'>;
  /** LiteLLM's expected cost (prompt + completion), from the test's literals */
  litellm: Decimal;
}

// The rates the tests hard-code, checked against the map entries read here.
const rates = { nano: ['5e-08', '4e-07', '2.5e-08', '2e-07'], gpt4: ['3e-05', '6e-05'] };

const shared: Case[] = [
  {
    name: 'test_service_tier_default_pricing: gpt-5-nano, standard',
    record: { provider: 'openai', response_model: 'gpt-5-nano', input_tokens: 1000, output_tokens: 500 },
    litellm: d('1000').times('5e-08').plus(d('500').times('4e-07')),
  },
  {
    name: 'test_service_tier_flex_pricing: gpt-5-nano, flex',
    record: { provider: 'openai', response_model: 'gpt-5-nano', input_tokens: 1000, output_tokens: 500, service_tier: 'flex' },
    litellm: d('1000').times('2.5e-08').plus(d('500').times('2e-07')),
  },
  {
    name: 'test_reasoning_tokens_no_price_set: o1, reasoning priced as output',
    record: { provider: 'openai', response_model: 'o1', input_tokens: 17, output_tokens: 1578, reasoning_output_tokens: 952 },
    litellm: d('17').times(String(real('o1').input_cost_per_token)).plus(d('1578').times(String(real('o1').output_cost_per_token))),
  },
  {
    name: 'test_reasoning_tokens_gemini: gemini-2.5-flash, text tokens at the output price, reasoning at the reasoning price',
    record: { provider: 'gcp.vertex_ai', response_model: 'gemini-2.5-flash', input_tokens: 17, output_tokens: 1578, reasoning_output_tokens: 952 },
    litellm: d('17').times(String(real('gemini-2.5-flash').input_cost_per_token))
      .plus(d('626').times(String(real('gemini-2.5-flash').output_cost_per_token)))
      .plus(d('952').times(String(real('gemini-2.5-flash').output_cost_per_reasoning_token))),
  },
  {
    name: 'test_generic_cost_per_token_above_200k_tokens: gemini-2.5-pro, 220M prompt tokens all at the long-context price',
    record: { provider: 'gcp.vertex_ai', response_model: 'gemini-2.5-pro', input_tokens: 220_000_000, output_tokens: 150 },
    litellm: d('220000000').times(String(real('gemini-2.5-pro').input_cost_per_token_above_200k_tokens))
      .plus(d('150').times(String(real('gemini-2.5-pro').output_cost_per_token_above_200k_tokens))),
  },
  {
    name: 'test_get_token_base_cost_picks_highest_crossed_tier: 150k prompt tokens cross 90k and 128k, the 128k price applies',
    record: { provider: 'openai', response_model: 'litellm-test-tiers', input_tokens: 150_000, output_tokens: 10 },
    litellm: d('150000').times('9e-6').plus(d('10').times('2e-6')),
  },
  {
    name: 'test_string_cost_values_with_threshold: string prices, above 200k',
    record: { provider: 'openai', response_model: 'litellm-test-string-costs', input_tokens: 250_000, output_tokens: 1000 },
    litellm: d('250000').times('5e-7').plus(d('1000').times('1e-6')),
  },
  {
    name: 'test_calculate_cache_writing_cost: 56 five-minute and 13,999 one-hour cache writes',
    record: { provider: 'anthropic', response_model: 'claude-sonnet-4-5-20250929', input_tokens: 14_055, output_tokens: 0, cache_write_5m_input_tokens: 56, cache_write_1h_input_tokens: 13_999 },
    litellm: d('56').times('3.75e-06').plus(d('13999').times('6e-06')),
  },
  {
    name: 'test_batch_cost_calculator_uses_custom_model_info: batch prices',
    record: { provider: 'openai', response_model: 'fake-batch-model', input_tokens: 10, output_tokens: 5, service_tier: 'batch' },
    litellm: d('10').times('0.00125').plus(d('5').times('0.005')),
  },
];

describeEachBackend('LiteLLM cost cases', (store) => {
  const priceCases = async (cases: Array<Pick<Case, 'record'>>, month: string) => {
    await insertLedgerRecords(store(), cases.map((c, i) => ledgerRecord({ request_id: `${month}-${i}`, ts: `${month}-${String(i + 1).padStart(2, '0')}T12:00:00Z`, ...c.record })));
    const { runId } = await priceRun(store(), month);
    const { rows } = await sql<{ day: string; cost: string; reasons: string[] }>`
      select day::text, sum(cost)::text as cost, array_remove(array_agg(distinct unpriced_reason), null) as reasons
      from run_cost_cube where run_id = ${runId}::bigint group by day order by day`.execute(store().db);
    return rows;
  };

  test('the map entries read hold the rates LiteLLM\'s tests hard-code', async () => {
    const nano = real('gpt-5-nano');
    assert.deepEqual([nano.input_cost_per_token, nano.output_cost_per_token, nano.input_cost_per_token_flex, nano.output_cost_per_token_flex].map(String), rates.nano.map((r) => String(Number(r))));
    const gpt4 = real('gpt-4');
    assert.deepEqual([gpt4.input_cost_per_token, gpt4.output_cost_per_token].map(String), rates.gpt4.map((r) => String(Number(r))));
    const sonnet = real('claude-sonnet-4-5-20250929');
    assert.deepEqual([sonnet.cache_creation_input_token_cost, sonnet.cache_creation_input_token_cost_above_1hr], [3.75e-6, 6e-6]);
    const result = await importRateCard(store().db, { path: 'litellm-cases.json', bytes: Buffer.from(JSON.stringify(map, null, 2)), format: 'litellm', effectiveFrom: '2026-01-01' });
    assert.equal(result.status, 'imported');
  });

  test('where recon shares LiteLLM\'s semantics, the same usage costs exactly what LiteLLM\'s test expects', async () => {
    const rows = await priceCases(shared, '2026-03');
    assert.equal(rows.length, shared.length);
    shared.forEach((c, i) => {
      assert.deepEqual(rows[i]!.reasons, [], c.name);
      assert.equal(normal(rows[i]!.cost), c.litellm.toFixed(), c.name);
    });
  });

  test('where recon deliberately differs: no standard price for a tier the map does not price, and no batch at half price', async () => {
    const rows = await priceCases(
      [
        // test_service_tier_fallback_pricing: LiteLLM prices gpt-4 flex and priority at its standard
        // rates (1000 x 3e-05 + 500 x 6e-05 = 0.06); recon leaves them unpriced with a reason
        { record: { provider: 'openai', response_model: 'gpt-4', input_tokens: 1000, output_tokens: 500, service_tier: 'flex' } },
        { record: { provider: 'openai', response_model: 'gpt-4', input_tokens: 1000, output_tokens: 500, service_tier: 'priority' } },
        // batch_cost_calculator without *_batches prices halves the standard rates ("batch cost is
        // usually half"): (1000 x 3e-06 + 100 x 1.5e-05) / 2 = 0.00225; recon leaves it unpriced
        { record: { provider: 'anthropic', response_model: 'claude-sonnet-4-5-20250929', input_tokens: 1000, output_tokens: 100, service_tier: 'batch' } },
        // and the same record at the standard tier costs what both say: 0.0045
        { record: { provider: 'anthropic', response_model: 'claude-sonnet-4-5-20250929', input_tokens: 1000, output_tokens: 100 } },
      ],
      '2026-04',
    );
    assert.deepEqual(rows.map((r) => [normal(r.cost), r.reasons]), [
      ['0', ['no_card_in_effect']],
      ['0', ['no_card_in_effect']],
      ['0', ['no_card_in_effect']],
      [d('1000').times('3e-06').plus(d('100').times('1.5e-05')).toFixed(), []],
    ]);
  });
});
