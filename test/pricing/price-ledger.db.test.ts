import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { describeEachBackend } from '../support/db.ts';
import { insertLedgerRecords, insertRateCard, ledgerRecord, rateCardLine } from '../support/builders.ts';
import { selectGatewayEstimateDrift } from '../../src/pricing/queries.ts';
import { cubeRows, normal, priceRun, totalCost } from './helpers.ts';

// Each test uses its own model names so the suites share one database per backend.

describeEachBackend('priceLedger', (store) => {
  test('a price change at 00:00 UTC: one second before pays the old price, the change instant the new', async () => {
    const model = 'midnight-model';
    await insertRateCard(store(), 'midnight-v1', [
      rateCardLine({ model, token_category: 'input', unit_price: '2.00', effective_from: '2026-01-01T00:00:00Z', effective_to: '2026-05-15T00:00:00Z' }),
    ]);
    await insertRateCard(store(), 'midnight-v2', [rateCardLine({ model, token_category: 'input', unit_price: '1.00', effective_from: '2026-05-15T00:00:00Z' })]);
    await insertLedgerRecords(store(), [
      ledgerRecord({ response_model: model, ts: '2026-05-14T23:59:59Z', input_tokens: 1_000_000, output_tokens: 0 }),
      ledgerRecord({ response_model: model, ts: '2026-05-15T00:00:00Z', input_tokens: 1_000_000, output_tokens: 0 }),
    ]);
    const { runId } = await priceRun(store(), '2026-05');
    const rows = await cubeRows(store(), runId, { model, category: 'input' });
    assert.deepEqual(
      rows.map((r) => [r.day, r.card_version, normal(r.cost), r.unpriced_reason]),
      [
        ['2026-05-14', 'midnight-v1', '2', null],
        ['2026-05-15', 'midnight-v2', '1', null],
      ],
    );
  });

  test('a mid-month change reprices only the later records; rerunning the old month keeps its prices', async () => {
    const model = 'midmonth-model';
    await insertRateCard(store(), 'midmonth-v1', [
      rateCardLine({ model, token_category: 'output', unit_price: '10', effective_from: '2026-01-01T00:00:00Z', effective_to: '2026-06-10T12:00:00Z' }),
    ]);
    await insertLedgerRecords(store(), [
      ledgerRecord({ response_model: model, ts: '2026-04-20T10:00:00Z', input_tokens: 0, output_tokens: 500_000 }),
      ledgerRecord({ response_model: model, ts: '2026-06-10T11:59:59Z', input_tokens: 0, output_tokens: 500_000 }),
      ledgerRecord({ response_model: model, ts: '2026-06-10T12:00:00Z', input_tokens: 0, output_tokens: 500_000 }),
    ]);
    const aprilBefore = await priceRun(store(), '2026-04');
    await insertRateCard(store(), 'midmonth-v2', [rateCardLine({ model, token_category: 'output', unit_price: '8', effective_from: '2026-06-10T12:00:00Z' })]);
    const june = await priceRun(store(), '2026-06');
    assert.equal(await totalCost(store(), june.runId, { model, category: 'output' }), '9');
    const aprilAfter = await priceRun(store(), '2026-04');
    assert.equal(await totalCost(store(), aprilBefore.runId, { model }), '5');
    assert.equal(await totalCost(store(), aprilAfter.runId, { model }), '5');
  });

  test('OpenAI-style cache: cached tokens come out of input and pay the cache rate (user-pain 7, 13, 14, 15)', async () => {
    const model = 'oai-cache-model';
    await insertRateCard(store(), 'oai-cache-v1', [
      rateCardLine({ model, token_category: 'input', unit_price: '2.50' }),
      rateCardLine({ model, token_category: 'cached_input', unit_price: '1.25' }),
      rateCardLine({ model, token_category: 'output', unit_price: '10' }),
    ]);
    // prompt_tokens 2006 of which 1920 cached, as in litellm #6215
    await insertLedgerRecords(store(), [ledgerRecord({ response_model: model, input_tokens: 2006, cache_read_input_tokens: 1920, output_tokens: 300 })]);
    const { runId } = await priceRun(store(), '2026-05');
    const rows = await cubeRows(store(), runId, { model });
    assert.deepEqual(
      rows.map((r) => [r.token_category, r.quantity, normal(r.cost)]),
      [
        ['cached_input', '1920', '0.0024'],
        ['input', '86', '0.000215'],
        ['output', '300', '0.003'],
        ['request', '1', '0'],
      ],
    );
    assert.equal(await totalCost(store(), runId, { model }), '0.005615');
  });

  test('Anthropic-style cache: writes priced once at the write rate, reads at the read rate (user-pain 8, 9)', async () => {
    const model = 'anth-cache-model';
    await insertRateCard(store(), 'anth-cache-v1', [
      rateCardLine({ provider: 'anthropic', model, token_category: 'input', unit_price: '3' }),
      rateCardLine({ provider: 'anthropic', model, token_category: 'cached_input', unit_price: '0.30' }),
      rateCardLine({ provider: 'anthropic', model, token_category: 'cache_write_5m', unit_price: '3.75' }),
      rateCardLine({ provider: 'anthropic', model, token_category: 'cache_write_1h', unit_price: '6' }),
      rateCardLine({ provider: 'anthropic', model, token_category: 'output', unit_price: '15' }),
    ]);
    // canonical input = uncached 10 + reads 20000 + 5m writes 3000 + 1h writes 1000
    await insertLedgerRecords(store(), [
      ledgerRecord({
        provider: 'anthropic', response_model: model, input_tokens: 24010, cache_read_input_tokens: 20000,
        cache_write_5m_input_tokens: 3000, cache_write_1h_input_tokens: 1000, output_tokens: 500,
      }),
    ]);
    const { runId } = await priceRun(store(), '2026-05');
    const byCategory = Object.fromEntries((await cubeRows(store(), runId, { model })).map((r) => [r.token_category, [r.quantity, normal(r.cost)]]));
    assert.deepEqual(byCategory, {
      input: ['10', '0.00003'],
      cached_input: ['20000', '0.006'],
      cache_write_5m: ['3000', '0.01125'],
      // user-pain 17: 1-hour writes pay the 1-hour rate (2x input), not the 5-minute one
      cache_write_1h: ['1000', '0.006'],
      output: ['500', '0.0075'],
      request: ['1', '0'],
    });
  });

  test('a cached category without its own price is flagged, never priced as input or as $0 (user-pain 10, 11, 16)', async () => {
    const model = 'no-cache-price-model';
    await insertRateCard(store(), 'no-cache-price-v1', [
      rateCardLine({ model, token_category: 'input', unit_price: '2' }),
      rateCardLine({ model, token_category: 'output', unit_price: '8' }),
    ]);
    await insertLedgerRecords(store(), [ledgerRecord({ response_model: model, input_tokens: 1000, cache_read_input_tokens: 600, output_tokens: 10 })]);
    const { runId, counts } = await priceRun(store(), '2026-05');
    const cached = (await cubeRows(store(), runId, { model, category: 'cached_input' }))[0]!;
    assert.equal(cached.unpriced_reason, 'no_price_for_category');
    assert.equal(normal(cached.cost), '0');
    const input = (await cubeRows(store(), runId, { model, category: 'input' }))[0]!;
    assert.equal(input.quantity, '400');
    assert.ok(Number(counts.unpriced) >= 1);
  });

  test('batch plus cache: the batch tier cached line prices cached tokens (user-pain 20)', async () => {
    const model = 'batch-cache-model';
    await insertRateCard(store(), 'batch-cache-v1', [
      rateCardLine({ model, service_tier: 'batch', token_category: 'input', unit_price: '1.25' }),
      rateCardLine({ model, service_tier: 'batch', token_category: 'cached_input', unit_price: '0.625' }),
      rateCardLine({ model, service_tier: 'batch', token_category: 'output', unit_price: '5' }),
      rateCardLine({ model, service_tier: 'standard', token_category: 'input', unit_price: '2.5' }),
    ]);
    await insertLedgerRecords(store(), [
      ledgerRecord({ response_model: model, service_tier: 'batch', input_tokens: 100_000, cache_read_input_tokens: 80_000, output_tokens: 1000 }),
    ]);
    const { runId } = await priceRun(store(), '2026-05');
    const byCategory = Object.fromEntries((await cubeRows(store(), runId, { model })).map((r) => [r.token_category, normal(r.cost)]));
    assert.deepEqual(byCategory, { input: '0.025', cached_input: '0.05', output: '0.005', request: '0' });
  });

  test('long context: a request above 200k input pays the long-context tier for all its tokens', async () => {
    const model = 'long-context-model';
    await insertRateCard(store(), 'long-context-v1', [
      rateCardLine({ provider: 'anthropic', model, token_category: 'input', unit_price: '3' }),
      rateCardLine({ provider: 'anthropic', model, token_category: 'output', unit_price: '15' }),
      rateCardLine({ provider: 'anthropic', model, token_category: 'cached_input', unit_price: '0.3' }),
      rateCardLine({ provider: 'anthropic', model, token_category: 'input', unit_price: '6', min_input_tokens: '200000' }),
      rateCardLine({ provider: 'anthropic', model, token_category: 'output', unit_price: '22.5', min_input_tokens: '200000' }),
    ]);
    await insertLedgerRecords(store(), [
      ledgerRecord({ provider: 'anthropic', response_model: model, ts: '2026-05-03T00:00:00Z', input_tokens: 200_000, output_tokens: 1000 }),
      ledgerRecord({ provider: 'anthropic', response_model: model, ts: '2026-05-04T00:00:00Z', input_tokens: 200_001, cache_read_input_tokens: 100_000, output_tokens: 1000 }),
    ]);
    const { runId } = await priceRun(store(), '2026-05');
    // exactly 200k is not above the threshold: base prices
    assert.equal(await totalCost(store(), runId, { model, day: '2026-05-03' }), '0.615');
    // above: 100001 x 6 + 1000 x 22.5 per 1M; cache reads have no long-context line, so the base cache rate
    assert.equal(await totalCost(store(), runId, { model, day: '2026-05-04' }), '0.652506');
  });

  test('reasoning tokens are output unless the card prices them apart (user-pain 22)', async () => {
    await insertRateCard(store(), 'reasoning-v1', [
      rateCardLine({ model: 'reasoning-plain', token_category: 'output', unit_price: '8' }),
      rateCardLine({ model: 'reasoning-apart', token_category: 'output', unit_price: '8' }),
      rateCardLine({ model: 'reasoning-apart', token_category: 'reasoning_output', unit_price: '4' }),
    ]);
    await insertLedgerRecords(store(), [
      ledgerRecord({ response_model: 'reasoning-plain', input_tokens: 0, output_tokens: 1000, reasoning_output_tokens: 800 }),
      ledgerRecord({ response_model: 'reasoning-apart', input_tokens: 0, output_tokens: 1000, reasoning_output_tokens: 800 }),
    ]);
    const { runId } = await priceRun(store(), '2026-05');
    assert.equal(await totalCost(store(), runId, { model: 'reasoning-plain' }), '0.008');
    assert.equal(await totalCost(store(), runId, { model: 'reasoning-apart' }), '0.0048');
  });

  test('aliases: an undated name and a Bedrock inference profile price as the canonical model; requested model kept', async () => {
    await insertRateCard(store(), 'alias-v1', [
      rateCardLine({ provider: 'openai', model: 'gpt-4o-2024-08-06', token_category: 'input', unit_price: '2.5' }),
      rateCardLine({ provider: 'aws.bedrock', model: 'claude-sonnet-4-5-20250929', token_category: 'input', unit_price: '3' }),
      rateCardLine({ provider: 'aws.bedrock', model: 'claude-sonnet-4-5-20250929', token_category: 'input', unit_price: '3.3', region: 'us' }),
    ]);
    await insertLedgerRecords(store(), [
      ledgerRecord({ provider: 'openai', response_model: 'gpt-4o', requested_model: 'gpt-4o', input_tokens: 1_000_000, output_tokens: 0, ts: '2026-05-02T00:00:00Z' }),
      ledgerRecord({ provider: 'aws.bedrock', response_model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', input_tokens: 1_000_000, output_tokens: 0, ts: '2026-05-02T00:00:00Z' }),
      ledgerRecord({ provider: 'aws.bedrock', response_model: 'anthropic.claude-sonnet-4-5-20250929-v1:0', input_tokens: 1_000_000, output_tokens: 0, ts: '2026-05-02T00:00:00Z' }),
    ]);
    const { runId } = await priceRun(store(), '2026-05');
    const gpt = await cubeRows(store(), runId, { model: 'gpt-4o-2024-08-06', category: 'input' });
    assert.deepEqual(gpt.filter((r) => r.day === '2026-05-02').map((r) => [r.requested_model, normal(r.cost)]), [['gpt-4o-2024-08-06', '2.5']]);
    // the us. inference profile pays its regional price (3.3), the in-region id the base price (3)
    assert.equal(await totalCost(store(), runId, { model: 'claude-sonnet-4-5-20250929', category: 'input' }), '6.3');
  });

  test('Azure deployment name via a user alias (user-pain 28, 30)', async () => {
    await sql`insert into model_alias (provider, alias, model, source) values ('azure.ai.openai', 'prod-chat-eu', 'gpt-5-nano-2025-08-07', 'test')`.execute(store().db);
    await insertRateCard(store(), 'azure-v1', [
      rateCardLine({ provider: 'azure.ai.openai', model: 'gpt-5-nano-2025-08-07', token_category: 'input', unit_price: '0.05' }),
    ]);
    await insertLedgerRecords(store(), [
      ledgerRecord({ provider: 'azure.ai.openai', response_model: 'prod-chat-eu', input_tokens: 2_000_000, output_tokens: 0 }),
      ledgerRecord({ provider: 'azure.ai.openai', response_model: 'gpt-5-nano', input_tokens: 2_000_000, output_tokens: 0 }),
    ]);
    const { runId } = await priceRun(store(), '2026-05');
    assert.equal(await totalCost(store(), runId, { model: 'gpt-5-nano-2025-08-07' }), '0.2');
  });

  test('unpriced records carry their reason and are counted, never $0 silently', async () => {
    await insertRateCard(store(), 'unpriced-v1', [
      rateCardLine({ model: 'unpriced-known', token_category: 'input', unit_price: '1', effective_from: '2026-05-20T00:00:00Z' }),
    ]);
    await insertLedgerRecords(store(), [
      ledgerRecord({ response_model: 'unpriced-mystery', input_tokens: 100, output_tokens: 0, ts: '2026-05-10T00:00:00Z', team: null, gateway_key_id: null }),
      ledgerRecord({ response_model: 'unpriced-known', input_tokens: 100, output_tokens: 0, ts: '2026-05-10T00:00:00Z' }),
      ledgerRecord({ response_model: 'unpriced-known', input_tokens: 100, output_tokens: 0, ts: '2026-05-21T00:00:00Z', service_tier: 'turbo' }),
      ledgerRecord({ response_model: 'unpriced-known', input_tokens: 100, cache_read_input_tokens: 150, output_tokens: 0, ts: '2026-05-21T00:00:00Z' }),
      ledgerRecord({ response_model: 'unpriced-known', input_tokens: 100, output_tokens: 0, ts: '2026-05-21T00:00:00Z' }),
    ]);
    const { runId } = await priceRun(store(), '2026-05');
    const { rows } = await sql<{ model: string; reason: string | null; records: string; cost: string }>`
      select model, unpriced_reason as reason, sum(records)::text as records, sum(cost)::text as cost
      from run_cost_cube where run_id = ${runId}::bigint and model like 'unpriced-%' and token_category = 'request'
      group by 1, 2 order by 1, 2`.execute(store().db);
    assert.deepEqual(
      rows.map((r) => [r.model, r.reason, r.records, normal(r.cost)]),
      [
        ['unpriced-known', 'negative_uncached_input', '1', '0'],
        ['unpriced-known', 'no_card_in_effect', '1', '0'],
        ['unpriced-known', 'unknown_tier', '1', '0'],
        ['unpriced-known', null, '1', '0'],
        ['unpriced-mystery', 'no_card_for_model', '1', '0'],
      ],
    );
    assert.equal(await totalCost(store(), runId, { model: 'unpriced-known' }), '0.0001');
  });

  test('a zero price only when written as 0', async () => {
    const model = 'free-model';
    await insertRateCard(store(), 'free-v1', [rateCardLine({ model, token_category: 'input', unit_price: '0' })]);
    await insertLedgerRecords(store(), [ledgerRecord({ response_model: model, input_tokens: 1000, output_tokens: 5 })]);
    const { runId } = await priceRun(store(), '2026-05');
    const rows = await cubeRows(store(), runId, { model });
    assert.deepEqual(rows.map((r) => [r.token_category, r.unpriced_reason]), [
      ['input', null],
      ['output', 'no_price_for_category'],
      ['request', null],
    ]);
  });

  test('owners: tag, else gateway key owner; retries flagged; records of replaced files left out', async () => {
    const model = 'owner-model';
    await insertRateCard(store(), 'owner-v1', [rateCardLine({ model, token_category: 'input', unit_price: '1' })]);
    await sql`insert into gateway_key_owner (gateway_key_id, team, source) values ('key-owner-1', 'search', 'test') on conflict do nothing`.execute(store().db);
    await sql`insert into team_owner (team, cost_center, source) values ('search', 'CC-42', 'test') on conflict do nothing`.execute(store().db);
    await insertLedgerRecords(store(), [
      ledgerRecord({ response_model: model, team: null, gateway_key_id: 'key-owner-1', input_tokens: 10, output_tokens: 0 }),
      ledgerRecord({ response_model: model, team: 'support', attempt: 2, input_tokens: 10, output_tokens: 0 }),
    ]);
    const replaced = await insertLedgerRecords(store(), [ledgerRecord({ response_model: model, input_tokens: 99, output_tokens: 0 })]);
    await sql`update ingested_file set status = 'replaced' where id = ${replaced}::bigint`.execute(store().db);
    const { runId } = await priceRun(store(), '2026-05');
    const { rows } = await sql<{ team: string; owner_source: string; cost_center: string | null; is_retry: boolean; quantity: string }>`
      select team, owner_source, cost_center, is_retry, quantity::text from run_cost_cube
      where run_id = ${runId}::bigint and model = ${model} and token_category = 'input' order by team`.execute(store().db);
    assert.deepEqual(rows, [
      { team: 'search', owner_source: 'key', cost_center: 'CC-42', is_retry: false, quantity: '10' },
      { team: 'support', owner_source: 'tag', cost_center: null, is_retry: true, quantity: '10' },
    ]);
  });

  test('gateway estimate drift shows a stale gateway card with its amount', async () => {
    const model = 'drift-model';
    await insertRateCard(store(), 'drift-v1', [rateCardLine({ model, token_category: 'input', unit_price: '1' })]);
    await insertLedgerRecords(store(), [
      ledgerRecord({ response_model: model, input_tokens: 1_000_000, output_tokens: 0, gateway_cost_usd: '1.5', price_card_version: 'gw-old', ts: '2026-05-07T00:00:00Z' }),
      ledgerRecord({ response_model: model, input_tokens: 1_000_000, output_tokens: 0, gateway_cost_usd: '1', price_card_version: 'drift-v1', ts: '2026-05-07T00:00:00Z' }),
    ]);
    const { runId } = await priceRun(store(), '2026-05');
    const drift = (await selectGatewayEstimateDrift(store().db, runId)).filter((d) => d.model === model);
    assert.deepEqual(drift.map((d) => [d.gateway_card_version, d.recon_card_versions, normal(d.gateway_cost ?? ''), normal(d.recon_cost), normal(d.drift ?? '')]), [
      ['gw-old', 'drift-v1', '1.5', '1', '0.5'],
    ]);
  });

  test('counts: records, priced, unpriced, untagged and the ledger total of the run', async () => {
    const { counts, runId } = await priceRun(store(), '2026-07');
    assert.deepEqual(counts, { records: '0', priced: '0', unpriced: '0', untagged: '0', ledger_cost: '0' });
    const { rows } = await sql<{ n: string }>`select count(*)::text as n from run_price_card where run_id = ${runId}::bigint`.execute(store().db);
    assert.ok(Number(rows[0]!.n) >= 0);
  });
});
