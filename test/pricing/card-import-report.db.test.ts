import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { sql } from 'kysely';
import { describeEachBackend } from '../support/db.ts';
import { insertLedgerRecords, ledgerRecord } from '../support/builders.ts';
import { importRateCard } from '../../src/pricing/import-card.ts';
import { importSummary } from '../../src/pricing/commands.ts';
import { priceRun, totalCost } from './helpers.ts';

// `recon ratecard import` says what it understood (#14.2): how each card model resolved, which
// card models no known name matches, what the loaded ledger needs that the card does not price.

const LITELLM = '/work/shared/reference/data/litellm_model_prices_and_context_window.json';
const HISTORY = '/work/shared/reference/data/litellm_price_change_history_2025-02_to_2026-07.csv';
const realMap = JSON.parse(fs.readFileSync(LITELLM, 'utf8')) as Record<string, Record<string, unknown>>;
const entry = (key: string) => {
  const found = realMap[key];
  assert.ok(found, `${key} is in the reference price map`);
  return found;
};

const csvCard = (rows: string[]) =>
  Buffer.from(['provider,model,service_tier,token_category,unit_price,effective_from,effective_to,card_version,source', ...rows].join('\n') + '\n');

describeEachBackend('rate card import report', (store) => {
  test('a card written with pricing-page names: each model resolved, the unknown one named, the ledger\'s unpriced needs counted', async () => {
    const may = (day: number, extra: Partial<Parameters<typeof ledgerRecord>[0]>) => ledgerRecord({ ts: `2025-05-${String(day).padStart(2, '0')}T10:00:00Z`, input_tokens: 1000, output_tokens: 100, ...extra });
    await insertLedgerRecords(store(), [
      may(2, { request_id: 'p-1', provider: 'anthropic', response_model: 'claude-sonnet-4-5-20250929' }),
      may(3, { request_id: 'p-2', provider: 'anthropic', response_model: 'claude-sonnet-4-5-20250929', service_tier: 'batch' }),
      may(4, { request_id: 'p-3', provider: 'anthropic', response_model: 'claude-sonnet-4-5', service_tier: 'batch' }),
      may(5, { request_id: 'p-4', provider: 'anthropic', response_model: 'claude-sonnet-4-5-20250929', cache_write_1h_input_tokens: 500 }),
      may(6, { request_id: 'p-5', provider: 'openai', response_model: 'gpt-4o-mini-2024-07-18' }),
      may(7, { request_id: 'p-6', provider: 'openai', response_model: 'gpt-4.1' }),
    ]);
    const result = await importRateCard(store().db, {
      path: 'pricing-page.csv', format: 'csv',
      bytes: csvCard([
        'anthropic,claude-sonnet-4-5,standard,input,3,2025-01-01,2026-01-01,pp-2025,pricing page',
        'anthropic,claude-sonnet-4-5,standard,cache_write_5m,3.75,2025-01-01,2026-01-01,pp-2025,pricing page',
        'anthropic,claude-sonnet-4-5,standard,output,15,2025-01-01,2026-01-01,pp-2025,pricing page',
        'anthropic,claude-sonet-4-5,standard,input,3,2025-01-01,2026-01-01,pp-2025,pricing page',
        'openai,gpt-4.1,standard,input,2,2025-01-01,2026-01-01,pp-2025,pricing page',
        'openai,gpt-4.1,standard,output,8,2025-01-01,2026-01-01,pp-2025,pricing page',
      ]),
    });
    const prices = Object.fromEntries(result.resolved.map((r) => [`${r.provider} / ${r.model}`, r.prices.map((p) => `${p.model} (${p.via})`)]));
    assert.deepEqual(prices, {
      'anthropic / claude-sonet-4-5': ['claude-sonet-4-5 (as_written)'],
      'anthropic / claude-sonnet-4-5': ['claude-sonnet-4-5 (as_written)', 'claude-sonnet-4-5-20250929 (alias)'],
      'openai / gpt-4.1': ['gpt-4.1 (as_written)', 'gpt-4.1-2025-04-14 (alias)'],
    });
    assert.deepEqual(result.unknown_models, [{ provider: 'anthropic', model: 'claude-sonet-4-5' }]);
    const needs = result.ledger_needs.map((n) => [n.provider, n.model, n.service_tier, n.need, n.records, n.token_categories, [...n.ledger_models].sort()]);
    assert.deepEqual(needs, [
      ['anthropic', 'claude-sonnet-4-5-20250929', 'batch', 'service_tier', 2, [], ['claude-sonnet-4-5', 'claude-sonnet-4-5-20250929']],
      ['anthropic', 'claude-sonnet-4-5-20250929', 'standard', 'token_category', 1, [{ token_category: 'cache_write_1h', records: 1 }], ['claude-sonnet-4-5-20250929']],
      ['openai', 'gpt-4o-mini-2024-07-18', 'standard', 'model', 1, [], ['gpt-4o-mini-2024-07-18']],
    ]);
    const text = importSummary('pricing-page.csv', result);
    assert.match(text, /anthropic \/ claude-sonnet-4-5 -> claude-sonnet-4-5-20250929 \(alias 2025-01-01 \.\. 2026-01-01\)/);
    assert.match(text, /warning: 1 card model\(s\) match no known name .*anthropic \/ claude-sonet-4-5/);
    assert.match(text, /warning: the loaded ledger has 4 record\(s\) in this card's range that it does not price fully/);
    assert.match(text, /anthropic \/ claude-sonnet-4-5-20250929 \(as claude-sonnet-4-5\) \/ batch: 2 record\(s\) 2025-05-03T10:00:00Z \.\. 2025-05-04T10:00:00Z: no batch lines/);
    assert.match(text, /no cache_write_1h line \(1 record\(s\)\)/);
  });

  test('a LiteLLM map: conflicts listed with keys and prices, the provider-route key wins, invoke is no region, DeepSeek cache hits read, Vertex v2@ names Anthropic\'s snapshot', async () => {
    // An older map: deepseek-chat and deepseek/deepseek-chat as the reference map has them, with
    // the prices the price history shows before mirror commit 787b008e (2026-01-13); Vertex's
    // claude-3-5-sonnet-v2@20241022 as older maps listed it (the shape of its @20240620 sibling).
    const history = fs.readFileSync(HISTORY, 'utf8').split('\n').filter((l) => l.includes('787b008e0527e68869055378431f6787d9b171ca'));
    const before = (key: string, field: string) => {
      const line = history.find((l) => l.startsWith(`${key},deepseek,${field},`));
      assert.ok(line, `${key} ${field} changed in 787b008e`);
      return Number(line.split(',')[3]);
    };
    const old = (key: string, fields: string[]) => ({ ...entry(key), ...Object.fromEntries(fields.map((f) => [f, before(key, f)])) });
    const map = {
      'deepseek-chat': old('deepseek-chat', ['input_cost_per_token', 'output_cost_per_token', 'cache_read_input_token_cost']),
      'deepseek/deepseek-chat': old('deepseek/deepseek-chat', ['input_cost_per_token', 'output_cost_per_token', 'cache_read_input_token_cost', 'input_cost_per_token_cache_hit']),
      'deepseek/deepseek-coder': entry('deepseek/deepseek-coder'),
      'anthropic.claude-3-5-sonnet-20240620-v1:0': entry('anthropic.claude-3-5-sonnet-20240620-v1:0'),
      'bedrock/invoke/anthropic.claude-3-5-sonnet-20240620-v1:0': entry('bedrock/invoke/anthropic.claude-3-5-sonnet-20240620-v1:0'),
      'vertex_ai/claude-3-5-sonnet-v2@20241022': entry('vertex_ai/claude-3-5-sonnet@20240620'),
      'claude-sonnet-4-5-20250929': entry('claude-sonnet-4-5-20250929'),
      'us.anthropic.claude-sonnet-4-5-20250929-v1:0': entry('us.anthropic.claude-sonnet-4-5-20250929-v1:0'),
      'gpt-4o-mini': entry('gpt-4o-mini'),
    };
    assert.deepEqual([map['deepseek-chat'].input_cost_per_token, map['deepseek/deepseek-chat'].input_cost_per_token], [6e-7, 2.7e-7]);

    const feb = (day: number, extra: Partial<Parameters<typeof ledgerRecord>[0]>) => ledgerRecord({ ts: `2026-02-${String(day).padStart(2, '0')}T08:00:00Z`, input_tokens: 1000, output_tokens: 100, ...extra });
    await insertLedgerRecords(store(), [
      ...[1, 2, 3].map((d) => feb(d, { request_id: `a-${d}`, provider: 'anthropic', response_model: 'claude-sonnet-4-5-20250929', service_tier: 'batch' })),
      ...[4, 5].map((d) => feb(d, { request_id: `b-${d}`, provider: 'aws.bedrock', response_model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', service_tier: 'batch' })),
      feb(6, { request_id: 'o-1', provider: 'openai', response_model: 'gpt-4o-mini', service_tier: 'batch', cache_read_input_tokens: 600 }),
      feb(7, { request_id: 'v-1', provider: 'gcp.vertex_ai', response_model: 'claude-3-5-sonnet-v2@20241022' }),
      feb(8, { request_id: 'd-1', provider: 'deepseek', response_model: 'deepseek-chat', input_tokens: 1_000_000, cache_read_input_tokens: 200_000, output_tokens: 100_000 }),
    ]);
    const bytes = Buffer.from(JSON.stringify(map, null, 2));
    const result = await importRateCard(store().db, { path: 'old-map.json', bytes, format: 'litellm', effectiveFrom: '2026-01-01', cardVersion: 'litellm-old' });

    assert.deepEqual(
      result.conflict_lines.map((c) => [c.line, c.kept.key, c.kept.price, c.dropped.key, c.dropped.price]).sort(),
      [
        ['deepseek / deepseek-chat / standard / cached_input /  / 0', 'deepseek/deepseek-chat', '0.07', 'deepseek-chat', '0.06'],
        ['deepseek / deepseek-chat / standard / input /  / 0', 'deepseek/deepseek-chat', '0.27', 'deepseek-chat', '0.6'],
        ['deepseek / deepseek-chat / standard / output /  / 0', 'deepseek/deepseek-chat', '1.1', 'deepseek-chat', '1.7'],
      ],
    );
    assert.equal(result.conflicts, 3);
    const lines = (await sql<{ provider: string; model: string; token_category: string; region: string; unit_price: string }>`
      select provider, model, token_category, region, unit_price::text from rate_card_line l join rate_card_version v on v.id = l.card_version_id
      where v.card_version = 'litellm-old' and service_tier = 'standard' and min_input_tokens = 0 order by 1, 2, 3, 4`.execute(store().db)).rows;
    const price = (provider: string, model: string, category: string) => lines.filter((l) => l.provider === provider && l.model === model && l.token_category === category).map((l) => `${l.region || '-'}:${l.unit_price}`);
    // DeepSeek's input_cost_per_token_cache_hit is its cached-input price (deepseek-coder gives no other)
    assert.deepEqual(price('deepseek', 'deepseek-coder', 'cached_input'), ['-:0.014']);
    // bedrock/invoke/... is the invoke route of the same model, not a region called "invoke"
    assert.deepEqual(price('aws.bedrock', 'claude-3-5-sonnet-20240620', 'input'), ['-:3']);
    assert.ok(!lines.some((l) => l.region === 'invoke'));
    // Vertex's v2@ snapshot is Anthropic's claude-3-5-sonnet-20241022 (rules.modelSpelling)
    assert.deepEqual(price('gcp.vertex_ai', 'claude-3-5-sonnet-20241022', 'input'), ['-:3']);
    const aliases = (await sql<{ alias: string; model: string }>`
      select alias, model from model_alias where provider = 'gcp.vertex_ai' and source = 'litellm:litellm-old' order by alias`.execute(store().db)).rows;
    assert.deepEqual(aliases, [
      { alias: 'claude-3-5-sonnet-v2@20241022', model: 'claude-3-5-sonnet-20241022' },
      { alias: 'vertex_ai/claude-3-5-sonnet-v2@20241022', model: 'claude-3-5-sonnet-20241022' },
    ]);
    const vertex = result.resolved.find((r) => r.provider === 'gcp.vertex_ai');
    assert.deepEqual(vertex?.prices.map((p) => [p.model, p.via]), [['claude-3-5-sonnet-20241022', 'as_written']]);

    // what the ledger needs that the map lacks: batch for Anthropic direct and Bedrock Claude,
    // batch cache reads for gpt-4o-mini
    assert.deepEqual(
      result.ledger_needs.map((n) => [n.provider, n.model, n.service_tier, n.need, n.records, n.token_categories]),
      [
        ['anthropic', 'claude-sonnet-4-5-20250929', 'batch', 'service_tier', 3, []],
        ['aws.bedrock', 'claude-sonnet-4-5-20250929', 'batch', 'service_tier', 2, []],
        ['openai', 'gpt-4o-mini-2024-07-18', 'batch', 'token_category', 1, [{ token_category: 'cached_input', records: 1 }]],
      ],
    );
    assert.match(importSummary('old-map.json', result), /deepseek \/ deepseek-chat \/ standard \/ input \/  \/ 0: kept 0\.27 \(deepseek\/deepseek-chat\), dropped 0\.6 \(deepseek-chat\)/);

    // priced: the Vertex record at the v2 key's prices, DeepSeek at the provider route's
    const { runId } = await priceRun(store(), '2026-02');
    // 1,000 x 3 + 100 x 15 per 1M
    assert.equal(await totalCost(store(), runId, { model: 'claude-3-5-sonnet-20241022' }), '0.0045');
    // 800,000 x 0.27 + 200,000 x 0.07 + 100,000 x 1.1 per 1M
    assert.equal(await totalCost(store(), runId, { model: 'deepseek-chat' }), '0.34');
  });
});
