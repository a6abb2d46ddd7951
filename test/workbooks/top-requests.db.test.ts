import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.ts';
import { parsePeriod, periodBounds, type Period } from '../../src/period.ts';
import { selectTopRequests, type TopRequestRow } from '../../src/workbooks/queries.ts';
import { describeEachBackend } from '../support/db.ts';
import { insertLedgerRecords, insertRateCard, ledgerRecord, rateCardLine, type LedgerRecordInput } from '../support/builders.ts';
import { canonicalModel, priceRecord } from '../../src/pricing/rules.ts';
import { selectAliasLines, selectCardLines } from '../../src/pricing/queries.ts';
import { Decimal } from '../../src/money.ts';
import { priceRun } from '../pricing/helpers.ts';

// The top-requests list picks candidates by a cost bound and prices only those. It must list
// exactly what pricing every record of the team would list. The month below is built so the
// bound is loose where it can be: a long-context band above most records' size (and records
// exactly at its threshold, which do not pay it), a region with
// its own price, a price cut mid-month, batch and unknown tiers, an alias, an unpriced model,
// a team known only from its gateway key, equal costs, and records that cost nothing.

const PERIOD: Period = parsePeriod('2026-05');

/**
 * The reference: every record of the team priced by the TypeScript oracle of the one price rule
 * (src/pricing/rules.ts priceRecord, alias resolution by rules.canonicalModel), ranked by cost,
 * then time and request id — not by a copy of the workbook's SQL.
 */
interface ReferenceRow {
  request_id: string;
  model: string;
  cost: string;
  card_version: string | null;
  input_tokens: string;
}

async function topRequestsByPricingEveryRecord(db: Kysely<Database>, records: LedgerRecordInput[], team: string, keyTeams: Map<string, string>, limit: number): Promise<{ rows: ReferenceRow[]; total: string }> {
  const lines = await selectCardLines(db);
  const aliases = await selectAliasLines(db);
  const versions = new Map((await db.selectFrom('rate_card_version').select(['id', 'card_version']).execute()).map((v) => [String(v.id), v.card_version]));
  const own = records.filter((r) => (r.team ?? keyTeams.get(r.gateway_key_id ?? '')) === team);
  const priced = own.map((r) => {
    const ts = new Date(r.ts);
    const model = canonicalModel(r.provider, r.response_model, ts, aliases);
    const result = priceRecord({
      ts, provider: r.provider, model, response_model: r.response_model, service_tier: r.service_tier ?? 'standard', region: r.region ?? null,
      input_tokens: String(r.input_tokens), output_tokens: String(r.output_tokens), cache_read_input_tokens: String(r.cache_read_input_tokens ?? 0),
      cache_write_5m_input_tokens: String(r.cache_write_5m_input_tokens ?? 0), cache_write_1h_input_tokens: String(r.cache_write_1h_input_tokens ?? 0),
      reasoning_output_tokens: String(r.reasoning_output_tokens ?? 0),
    }, lines, aliases);
    const version = result.categories.find((c) => c.card_version_id !== null)?.card_version_id ?? null;
    const uncached = Number(r.input_tokens) - Number(r.cache_read_input_tokens ?? 0) - Number(r.cache_write_5m_input_tokens ?? 0) - Number(r.cache_write_1h_input_tokens ?? 0);
    return { r, ts, model, cost: result.cost, version: version === null ? null : versions.get(version) ?? null, uncached };
  });
  priced.sort((x, y) => y.cost.comparedTo(x.cost) || x.ts.getTime() - y.ts.getTime() || (x.r.request_id < y.r.request_id ? -1 : x.r.request_id > y.r.request_id ? 1 : 0));
  return {
    total: String(own.length),
    rows: priced.slice(0, limit).map((p) => ({ request_id: p.r.request_id, model: p.model, cost: p.cost.toFixed(), card_version: p.version, input_tokens: String(p.uncached) })),
  };
}

/** A small deterministic generator (mulberry32), so the month is the same on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function month(): LedgerRecordInput[] {
  const next = random(20260501);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const records: LedgerRecordInput[] = [];
  for (let i = 0; i < 600; i++) {
    const day = 1 + Math.floor(next() * 31);
    const ts = new Date(Date.UTC(2026, 4, day, Math.floor(next() * 24), Math.floor(next() * 60), i % 60)).toISOString();
    const kind = pick(['base', 'base', 'near-band', 'at-band', 'long', 'region', 'batch', 'unknown-tier', 'alias', 'unpriced', 'tie', 'key', 'other-team'] as const);
    // at the threshold is not above it: the base price applies
    const input = kind === 'near-band' ? 150_000 + Math.floor(next() * 49_000) : kind === 'at-band' ? 200_000 : kind === 'long' ? 200_001 + Math.floor(next() * 100_000) : Math.floor(next() * 20_000);
    const cached = kind === 'tie' ? 0 : Math.floor(input * next() * 0.5);
    records.push(
      ledgerRecord({
        ts: kind === 'tie' ? '2026-05-20T08:00:00Z' : ts,
        request_id: `q-${String(i).padStart(4, '0')}`,
        response_model: kind === 'alias' ? 'gpt-4o' : kind === 'unpriced' ? 'gpt-unknown' : 'gpt-4o-2024-08-06',
        input_tokens: kind === 'tie' ? 10_000 : input,
        cache_read_input_tokens: cached,
        output_tokens: kind === 'tie' ? 500 : Math.floor(next() * 4_000),
        service_tier: kind === 'batch' ? 'batch' : kind === 'unknown-tier' ? 'priority' : 'standard',
        region: kind === 'region' ? 'eu' : null,
        team: kind === 'key' ? null : kind === 'other-team' ? 'sales' : 'support',
        gateway_key_id: kind === 'key' ? 'k-support' : null,
      }),
    );
  }
  return records;
}

describeEachBackend('top requests of a team', (store) => {
  let runId: string;
  const records = month();

  before(async () => {
    const cut = '2026-05-15T00:00:00Z';
    const versionId = await insertRateCard(store(), 'openai-2026-05', [
      rateCardLine({ token_category: 'input', unit_price: '2.50', effective_to: cut }),
      rateCardLine({ token_category: 'input', unit_price: '1.25', effective_from: cut }),
      rateCardLine({ token_category: 'input', unit_price: '5.00', min_input_tokens: '200000' }),
      rateCardLine({ token_category: 'input', unit_price: '3.00', region: 'eu' }),
      rateCardLine({ token_category: 'cached_input', unit_price: '1.25' }),
      rateCardLine({ token_category: 'output', unit_price: '10.00' }),
      rateCardLine({ token_category: 'output', unit_price: '15.00', min_input_tokens: '200000' }),
      rateCardLine({ token_category: 'request', unit_price: '0.0001' }),
      rateCardLine({ service_tier: 'batch', token_category: 'input', unit_price: '1.25' }),
      rateCardLine({ service_tier: 'batch', token_category: 'output', unit_price: '5.00' }),
    ]);
    // A version the run did not use: its (higher) prices must not count.
    await insertRateCard(store(), 'openai-2025', [
      rateCardLine({ token_category: 'input', unit_price: '99.00', effective_from: '2025-01-01T00:00:00Z', effective_to: '2026-01-01T00:00:00Z' }),
    ]);
    await sql`insert into gateway_key_owner (gateway_key_id, team, source) values ('k-support', 'support', 'test')`.execute(store().db);
    await insertLedgerRecords(store(), records);
    void versionId;
    runId = (await priceRun(store(), '2026-05')).runId;
  });

  for (const limit of [1, 3, 25, 120, 400, 1000]) {
    test(`the ${limit} most expensive requests are exactly those of pricing every record`, async () => {
      const expected = await topRequestsByPricingEveryRecord(store().db, records, 'support', new Map([['k-support', 'support']]), limit);
      const actual = await selectTopRequests(store().db, runId, PERIOD, 'support', limit);
      assert.ok(expected.rows.length > 0);
      assert.equal(actual.total, expected.total);
      const shape = (rows: readonly Pick<TopRequestRow, 'request_id' | 'model' | 'cost' | 'card_version' | 'input_tokens'>[]) =>
        rows.map((row) => `${row.request_id} ${row.model} uncached=${row.input_tokens} ${new Decimal(row.cost).toFixed()} ${row.card_version ?? '-'}`);
      assert.deepEqual(shape(actual.rows), shape(expected.rows));
    });
  }

  test('a team with no records has an empty list and a zero total', async () => {
    assert.deepEqual(await selectTopRequests(store().db, runId, PERIOD, 'nobody', 10), { rows: [], total: '0' });
  });
});
