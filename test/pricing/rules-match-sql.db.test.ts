import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { describeEachBackend } from '../support/db.ts';
import { insertLedgerRecords, insertRateCard, ledgerRecord, rateCardLine, type LedgerRecordInput } from '../support/builders.ts';
import { priceRecord } from '../../src/pricing/rules.ts';
import { selectCardLines, selectResolvedModel } from '../../src/pricing/queries.ts';
import { Decimal } from '../../src/money.ts';
import { priceRun } from './helpers.ts';

// The pure rules (used to explain one record) and the set-based SQL must agree to the last digit.

const MODELS = ['prop-a', 'prop-b', 'prop-unpriced', 'us.anthropic.prop-c-v1:0'];

const recordArb = fc.record({
  model: fc.constantFrom(...MODELS),
  day: fc.integer({ min: 1, max: 30 }),
  second: fc.integer({ min: 0, max: 86399 }),
  tier: fc.constantFrom('standard', 'standard', 'batch', 'priority', 'turbo'),
  region: fc.constantFrom(null, 'eu', 'us-east-1'),
  uncached: fc.integer({ min: -50, max: 300_000 }),
  cacheRead: fc.integer({ min: 0, max: 50_000 }),
  write5m: fc.integer({ min: 0, max: 5_000 }),
  write1h: fc.integer({ min: 0, max: 5_000 }),
  output: fc.integer({ min: 0, max: 20_000 }),
  reasoningShare: fc.integer({ min: 0, max: 100 }),
});

describeEachBackend('priceRecord matches priceLedger', (store) => {
  test('random records priced by the rules and by SQL agree exactly', async () => {
    await sql`insert into model_alias (provider, alias, model, source) values ('aws.bedrock', 'us.anthropic.prop-c-v1:0', 'prop-c', 'test')`.execute(store().db);
    await insertRateCard(store(), 'prop-v1', [
      rateCardLine({ model: 'prop-a', token_category: 'input', unit_price: '2.5', effective_to: '2026-05-16T06:00:00Z' }),
      rateCardLine({ model: 'prop-a', token_category: 'output', unit_price: '10' }),
      rateCardLine({ model: 'prop-a', token_category: 'cached_input', unit_price: '1.25' }),
      rateCardLine({ model: 'prop-a', token_category: 'input', unit_price: '3.1', region: 'eu' }),
      rateCardLine({ model: 'prop-a', token_category: 'input', unit_price: '5', min_input_tokens: '200000' }),
      rateCardLine({ model: 'prop-a', token_category: 'request', unit_price: '0.001' }),
      rateCardLine({ model: 'prop-a', service_tier: 'batch', token_category: 'input', unit_price: '1.25' }),
      rateCardLine({ model: 'prop-a', service_tier: 'batch', token_category: 'output', unit_price: '5' }),
      rateCardLine({ model: 'prop-b', token_category: 'input', unit_price: '0.15' }),
      rateCardLine({ model: 'prop-b', token_category: 'output', unit_price: '0.6' }),
      rateCardLine({ model: 'prop-b', token_category: 'reasoning_output', unit_price: '0.3' }),
      rateCardLine({ model: 'prop-b', token_category: 'cache_write_5m', unit_price: '0.1875' }),
      rateCardLine({ model: 'prop-b', token_category: 'cache_write_1h', unit_price: '0.3' }),
      rateCardLine({ provider: 'aws.bedrock', model: 'prop-c', token_category: 'input', unit_price: '3' }),
      rateCardLine({ provider: 'aws.bedrock', model: 'prop-c', token_category: 'input', unit_price: '3.3', region: 'us' }),
      rateCardLine({ provider: 'aws.bedrock', model: 'prop-c', token_category: 'output', unit_price: '15' }),
    ]);
    await insertRateCard(store(), 'prop-v2', [rateCardLine({ model: 'prop-a', token_category: 'input', unit_price: '2', effective_from: '2026-05-16T06:00:00Z' })]);
    const samples = fc.sample(recordArb, { numRuns: 60, seed: 42 });
    const records: LedgerRecordInput[] = samples.map((s, i) => {
      const input = Math.max(0, s.uncached + s.cacheRead + s.write5m + s.write1h);
      return ledgerRecord({
        request_id: `prop-${i}`,
        team: `prop-${i}`,
        provider: s.model.startsWith('us.') ? 'aws.bedrock' : 'openai',
        response_model: s.model,
        ts: new Date(Date.UTC(2026, 4, s.day, 0, 0, s.second)).toISOString(),
        service_tier: s.tier,
        region: s.region,
        input_tokens: input,
        cache_read_input_tokens: s.cacheRead,
        cache_write_5m_input_tokens: s.write5m,
        cache_write_1h_input_tokens: s.write1h,
        output_tokens: s.output,
        reasoning_output_tokens: Math.floor((s.output * s.reasoningShare) / 100),
      });
    });
    await insertLedgerRecords(store(), records);
    const { runId } = await priceRun(store(), '2026-05');
    const { rows } = await sql<{ team: string; cost: string; reasons: string | null }>`
      select team, sum(cost)::text as cost, string_agg(distinct unpriced_reason, ',' order by unpriced_reason) as reasons
      from run_cost_cube where run_id = ${runId}::bigint and team like 'prop-%' group by team`.execute(store().db);
    const sqlByTeam = new Map(rows.map((r) => [r.team, r]));
    const lines = await selectCardLines(store().db);
    for (const record of records) {
      const ts = new Date(record.ts);
      const model = await selectResolvedModel(store().db, record.provider, record.response_model, ts);
      const priced = priceRecord(
        {
          ts, provider: record.provider, model, response_model: record.response_model, service_tier: record.service_tier ?? 'standard',
          region: record.region ?? null, input_tokens: String(record.input_tokens), output_tokens: String(record.output_tokens),
          cache_read_input_tokens: String(record.cache_read_input_tokens ?? 0), cache_write_5m_input_tokens: String(record.cache_write_5m_input_tokens ?? 0),
          cache_write_1h_input_tokens: String(record.cache_write_1h_input_tokens ?? 0), reasoning_output_tokens: String(record.reasoning_output_tokens ?? 0),
        },
        lines,
      );
      const fromSql = sqlByTeam.get(record.team!);
      assert.ok(fromSql, `no cube rows for ${record.team}`);
      assert.ok(new Decimal(fromSql.cost).equals(priced.cost), `${record.team} ${JSON.stringify(record)}: sql ${fromSql.cost} vs rules ${priced.cost.toFixed()}`);
      const reasons = [...new Set(priced.categories.map((c) => c.unpriced_reason).filter((r) => r !== null))].sort().join(',') || null;
      assert.equal(fromSql.reasons, reasons, `${record.team} reasons`);
    }
  });
});
