import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.ts';
import { parsePeriod, periodBounds, type Period } from '../../src/period.ts';
import { selectTopRequests, type TopRequestRow } from '../../src/workbooks/queries.ts';
import { describeEachBackend } from '../support/db.ts';
import { insertLedgerRecords, insertRateCard, ledgerRecord, rateCardLine, type LedgerRecordInput } from '../support/builders.ts';

// The top-requests list picks candidates by a cost bound and prices only those. It must list
// exactly what pricing every record of the team would list. The month below is built so the
// bound is loose where it can be: a long-context band above most records' size (and records
// exactly at its threshold, which do not pay it), a region with
// its own price, a price cut mid-month, batch and unknown tiers, an alias, an unpriced model,
// a team known only from its gateway key, equal costs, and records that cost nothing.

const PERIOD: Period = parsePeriod('2026-05');

/** The reference: every record of the team priced line by line (the query this replaced). */
async function topRequestsByPricingEveryRecord(db: Kysely<Database>, runId: string, period: Period, team: string, limit: number): Promise<{ rows: TopRequestRow[]; total: string }> {
  const { start, end } = periodBounds(period);
  const { rows } = await sql<TopRequestRow & { total: string }>`
    with versions as (select distinct card_version_id from run_cost_cube where run_id = ${runId}::bigint and card_version_id is not null),
    recs as (
      select l.request_id, l.provider_response_id, l.ts, l.provider, coalesce(a.model, l.response_model) as model,
             l.service, l.workflow, l.status, l.attempt, l.service_tier, coalesce(l.region, '') as region, l.input_tokens,
             l.input_tokens - l.cache_read_input_tokens - l.cache_write_5m_input_tokens - l.cache_write_1h_input_tokens as uncached,
             l.cache_read_input_tokens, l.cache_write_5m_input_tokens, l.cache_write_1h_input_tokens, l.output_tokens, l.reasoning_output_tokens,
             row_number() over (order by l.ts, l.request_id, l.ingested_file_id, l.source_line) as rn
      from ledger_record l
      join ingested_file f on f.id = l.ingested_file_id and f.status = 'loaded'
      left join gateway_key_owner g on g.gateway_key_id = l.gateway_key_id
      left join model_alias a on a.provider = l.provider and a.alias = l.response_model
        and a.effective_from <= l.ts and (a.effective_to is null or a.effective_to > l.ts)
      where l.ts >= ${start.toISOString()}::timestamptz and l.ts < ${end.toISOString()}::timestamptz
        and coalesce(l.team, g.team) = ${team}),
    quantities as (
      select r.rn, r.provider, r.model, r.service_tier, r.region, r.input_tokens, r.ts, q.category, q.quantity
      from recs r cross join lateral (values
        ('input', r.uncached), ('cached_input', r.cache_read_input_tokens), ('cache_write_5m', r.cache_write_5m_input_tokens),
        ('cache_write_1h', r.cache_write_1h_input_tokens), ('output', r.output_tokens), ('request', 1::bigint)) q(category, quantity)
      where q.quantity > 0),
    priced as (
      select distinct on (q.rn, q.category) q.rn, q.category, q.quantity, rl.unit_price, rl.card_version_id
      from quantities q
      join rate_card_line rl on rl.provider = q.provider and rl.model = q.model and rl.service_tier = q.service_tier
        and rl.token_category = q.category and rl.region in ('', q.region) and (rl.min_input_tokens = 0 or rl.min_input_tokens < q.input_tokens)
        and rl.effective_from <= q.ts and (rl.effective_to is null or rl.effective_to > q.ts)
        and rl.card_version_id in (select card_version_id from versions)
      order by q.rn, q.category, rl.min_input_tokens desc, (rl.region <> '') desc, rl.card_version_id desc),
    costs as (
      select rn, sum(case when category = 'request' then quantity * unit_price else quantity * unit_price / 1000000 end) as cost,
             max(card_version_id) as card_version_id
      from priced group by rn)
    select r.request_id, r.provider_response_id, r.ts, r.provider, r.model, r.service, r.workflow, r.status, r.attempt,
           r.uncached::text as input_tokens, r.cache_read_input_tokens::text as cached_input_tokens,
           r.cache_write_5m_input_tokens::text as cache_write_5m_tokens, r.cache_write_1h_input_tokens::text as cache_write_1h_tokens,
           r.output_tokens::text, r.reasoning_output_tokens::text as reasoning_tokens, v.card_version,
           coalesce(c.cost, 0)::text as cost, count(*) over ()::text as total
    from recs r left join costs c on c.rn = r.rn left join rate_card_version v on v.id = c.card_version_id
    order by coalesce(c.cost, 0) desc, r.ts, r.request_id
    limit ${limit}`.execute(db);
  const total = rows[0]?.total ?? '0';
  return { rows: rows.map(({ total: _total, ...row }) => row), total };
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
    await insertLedgerRecords(store(), month());
    const { rows } = await sql<{ id: string }>`insert into run (period, status) values ('2026-05', 'succeeded') returning id::text`.execute(store().db);
    runId = rows[0]!.id;
    await store()
      .db.insertInto('run_cost_cube')
      .values({
        run_id: runId, day: '2026-05-10', provider: 'openai', model: 'gpt-4o-2024-08-06', requested_model: null, service_tier: 'standard',
        token_category: 'request', team: 'support', service: null, workflow: null, cost_center: null, environment: null, gateway_key_id: null,
        status: 'ok', is_retry: false, owner_source: 'tag', card_version_id: versionId, unpriced_reason: null, records: '1', quantity: '1', cost: '0',
      })
      .execute();
  });

  for (const limit of [1, 3, 25, 120, 400, 1000]) {
    test(`the ${limit} most expensive requests are exactly those of pricing every record`, async () => {
      const expected = await topRequestsByPricingEveryRecord(store().db, runId, PERIOD, 'support', limit);
      const actual = await selectTopRequests(store().db, runId, PERIOD, 'support', limit);
      assert.ok(expected.rows.length > 0);
      assert.deepEqual(actual, expected);
    });
  }

  test('a team with no records has an empty list and a zero total', async () => {
    assert.deepEqual(await selectTopRequests(store().db, runId, PERIOD, 'nobody', 10), { rows: [], total: '0' });
  });
});
