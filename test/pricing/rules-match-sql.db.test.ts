import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { describeEachBackend } from '../support/db.ts';
import type { Store } from '../../src/db/connection.ts';
import { insertLedgerRecords, insertRateCard, ledgerRecord, rateCardLine, type LedgerRecordInput } from '../support/builders.ts';
import { priceRecord } from '../../src/pricing/rules.ts';
import { selectAliasLines, selectCardLines, selectResolvedModel } from '../../src/pricing/queries.ts';
import { Decimal } from '../../src/money.ts';
import { priceRun } from './helpers.ts';
import { withAuditTable } from '../../src/audit/queries.ts';
import { selectTopRequestsOfTeams } from '../../src/workbooks/queries.ts';
import { parsePeriod } from '../../src/period.ts';

// The one price rule: the pure rules (the oracle, used to explain one record) and every SQL
// consumer of the price — the run's pricing, the evidence audit (src/audit/queries.ts) and the
// dispute workbook's Top requests (src/workbooks/queries.ts) — agree to the last digit on random
// records, on both engines. A new consumer of the price belongs in assertSqlMatchesRules.

// prop-d-2026 is priced only by lines the card wrote for its alias prop-d (a pricing page's undated name)
const MODELS = ['prop-a', 'prop-b', 'prop-unpriced', 'us.anthropic.prop-c-v1:0', 'prop-d', 'prop-d-2026'];

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
    await sql`insert into model_alias (provider, alias, model, source) values ('openai', 'prop-d', 'prop-d-2026', 'test')`.execute(store().db);
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
      rateCardLine({ model: 'prop-d', token_category: 'input', unit_price: '0.8' }),
      rateCardLine({ model: 'prop-d', token_category: 'input', unit_price: '1.6', min_input_tokens: '200000' }),
      rateCardLine({ model: 'prop-d', token_category: 'output', unit_price: '3.2' }),
      rateCardLine({ model: 'prop-d', token_category: 'reasoning_output', unit_price: '1.1' }),
      rateCardLine({ model: 'prop-d', token_category: 'cached_input', unit_price: '0.2' }),
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
    await assertSqlMatchesRules(store(), records, 'team');
  });

  test('records that share groups agree with the rules when a price, an alias or an unusual threshold changes mid-group', async () => {
    // Few teams, so the roll-up's groups hold many records each: a mid-day card change (May 16,
    // 06:00), a mid-day alias move (May 20, 13:00) and a 150k long-context threshold (imported
    // after the roll-up, so not one it is cut at) fall inside groups, whose days pricing must read
    // again from the records.
    await sql`insert into model_alias (provider, alias, model, effective_from, source) values ('openai', 'roll-alias', 'roll-b', '2026-05-20T13:00:00Z', 'test')`.execute(store().db);
    await insertRateCard(store(), 'roll-v1', [
      rateCardLine({ model: 'roll-a', token_category: 'input', unit_price: '2.5', effective_to: '2026-05-16T06:00:00Z' }),
      rateCardLine({ model: 'roll-a', token_category: 'output', unit_price: '10' }),
      rateCardLine({ model: 'roll-b', token_category: 'input', unit_price: '0.15' }),
      rateCardLine({ model: 'roll-b', token_category: 'output', unit_price: '0.6' }),
      rateCardLine({ model: 'roll-alias', token_category: 'input', unit_price: '0.9' }),
      rateCardLine({ model: 'roll-alias', token_category: 'output', unit_price: '1.9' }),
      rateCardLine({ model: 'roll-t', token_category: 'input', unit_price: '1' }),
      rateCardLine({ model: 'roll-t', token_category: 'output', unit_price: '4' }),
    ]);
    await insertRateCard(store(), 'roll-v2', [rateCardLine({ model: 'roll-a', token_category: 'input', unit_price: '2', effective_from: '2026-05-16T06:00:00Z' })]);
    const shape = fc.record({
      model: fc.constantFrom('roll-a', 'roll-b', 'roll-alias', 'roll-t'),
      day: fc.constantFrom(1, 16, 20, 31),
      second: fc.integer({ min: 0, max: 86399 }),
      input: fc.integer({ min: 130_000, max: 190_000 }),
      output: fc.integer({ min: 1, max: 5_000 }),
      team: fc.constantFrom('roll-x', 'roll-y'),
    });
    const records = fc.sample(shape, { numRuns: 400, seed: 7 }).map((s, i) =>
      ledgerRecord({
        request_id: `roll-${i}`,
        team: s.team,
        response_model: s.model,
        // the unusual threshold only on May 10-12, so days before, between and after come from the roll-up
        ts: new Date(Date.UTC(2026, 4, s.model === 'roll-t' ? 10 + (s.day % 3) : s.day, 0, 0, s.second)).toISOString(),
        input_tokens: s.input,
        output_tokens: s.output,
      }),
    );
    await insertLedgerRecords(store(), records.slice(0, 200));
    await insertLedgerRecords(store(), records.slice(200));
    await priceRun(store(), '2026-05'); // rolls the files up before the long-context line exists
    await insertRateCard(store(), 'roll-v3', [rateCardLine({ model: 'roll-t', token_category: 'input', unit_price: '2', min_input_tokens: '150000' })]);
    await assertSqlMatchesRules(store(), records, 'team');
    // the roll-up's groups do straddle each change, so the days read again are what made this pass
    const { rows } = await sql<{ card: string; alias: string; threshold: string }>`
      select count(*) filter (where response_model = 'roll-a' and first_ts < '2026-05-16T06:00:00Z' and last_ts >= '2026-05-16T06:00:00Z')::text as card,
             count(*) filter (where response_model = 'roll-alias' and first_ts < '2026-05-20T13:00:00Z' and last_ts >= '2026-05-20T13:00:00Z')::text as alias,
             count(*) filter (where response_model = 'roll-t' and min_input_tokens <= 150000 and max_input_tokens > 150000)::text as threshold
      from ledger_file_rollup where team in ('roll-x', 'roll-y')`.execute(store().db);
    assert.ok(Number(rows[0]!.card) > 0 && Number(rows[0]!.alias) > 0 && Number(rows[0]!.threshold) > 0, JSON.stringify(rows[0]));
  });
});

/** Prices May and checks each `key` group's cube cost and unpriced reasons against the rules, record by record. */
async function assertSqlMatchesRules(store: Store, records: LedgerRecordInput[], key: 'team'): Promise<void> {
  const { runId } = await priceRun(store, '2026-05');
  const { rows } = await sql<{ team: string; cost: string; reasons: string | null }>`
    select team, sum(cost)::text as cost, string_agg(distinct unpriced_reason, ',' order by unpriced_reason) as reasons
    from run_cost_cube where run_id = ${runId}::bigint and team = any(${[...new Set(records.map((r) => r[key]!))]}) group by team`.execute(store.db);
  const sqlByTeam = new Map(rows.map((r) => [r.team, r]));
  const lines = await selectCardLines(store.db);
  const aliases = await selectAliasLines(store.db);
  const expected = new Map<string, { cost: Decimal; reasons: Set<string> }>();
  for (const record of records) {
    const ts = new Date(record.ts);
    const model = await selectResolvedModel(store.db, record.provider, record.response_model, ts);
    const priced = priceRecord(
      {
        ts, provider: record.provider, model, response_model: record.response_model, service_tier: record.service_tier ?? 'standard',
        region: record.region ?? null, input_tokens: String(record.input_tokens), output_tokens: String(record.output_tokens),
        cache_read_input_tokens: String(record.cache_read_input_tokens ?? 0), cache_write_5m_input_tokens: String(record.cache_write_5m_input_tokens ?? 0),
        cache_write_1h_input_tokens: String(record.cache_write_1h_input_tokens ?? 0), reasoning_output_tokens: String(record.reasoning_output_tokens ?? 0),
      },
      lines,
      aliases,
    );
    const group = expected.get(record[key]!) ?? { cost: new Decimal(0), reasons: new Set<string>() };
    group.cost = group.cost.plus(priced.cost);
    for (const c of priced.categories) if (c.unpriced_reason !== null) group.reasons.add(c.unpriced_reason);
    expected.set(record[key]!, group);
  }
  // Every consumer of the price: the run's cube, the evidence audit and the dispute workbook's Top requests.
  const period = parsePeriod('2026-05');
  const audit = await withAuditTable(store.db, { period }, async (db, table) =>
    new Map((await sql<{ team: string; cost: string }>`select effective_team as team, sum(cost)::text as cost from ${sql.id(table)} group by 1`.execute(db)).rows.map((r) => [r.team, r.cost])));
  const teams = [...expected.keys()];
  const top = await selectTopRequestsOfTeams(store.db, runId, period, teams, 100_000);
  for (const [team, group] of expected) {
    const fromSql = sqlByTeam.get(team);
    assert.ok(fromSql, `no cube rows for ${team}`);
    assert.ok(new Decimal(fromSql.cost).equals(group.cost), `${team}: sql ${fromSql.cost} vs rules ${group.cost.toFixed()}`);
    assert.equal(fromSql.reasons, [...group.reasons].sort().join(',') || null, `${team} reasons`);
    assert.ok(new Decimal(audit.get(team) ?? '0').equals(group.cost), `${team}: audit ${audit.get(team)} vs rules ${group.cost.toFixed()}`);
    const listed = (top.get(team)?.rows ?? []).reduce((sum, row) => sum.plus(row.cost), new Decimal(0));
    assert.ok(listed.equals(group.cost), `${team}: top requests ${listed.toFixed()} vs rules ${group.cost.toFixed()}`);
  }
}
