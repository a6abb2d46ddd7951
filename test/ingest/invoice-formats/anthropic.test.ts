import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anthropicCost } from '../../../src/ingest/invoice-formats/anthropic-cost.ts';
import { anthropicUsage } from '../../../src/ingest/invoice-formats/anthropic-usage.ts';
import { fixture, parseFile, parseText } from './support.ts';

describe('anthropic-cost', () => {
  it('reads amounts in cents as exact dollars and maps token types to categories', async () => {
    const { rows, rejects } = await parseFile(anthropicCost, fixture('anthropic-cost-2026-05.json'));
    const got = rows.map((r) => [r.row.line_type, r.row.token_category, r.row.service_tier, r.row.amount]);
    assert.deepEqual(got, [
      ['usage', 'input', 'standard', '1.2345'],
      ['usage', 'output', 'standard', '45'],
      ['usage', 'cached_input', 'standard', '0.096'],
      ['usage', 'cache_write_5m', 'standard', '0.375'],
      ['usage', 'cache_write_1h', 'standard', '0.6'],
      ['usage', 'input', 'batch', '2.1'],
      ['usage', 'output', 'standard', '1'],
      ['fee', null, 'standard', '0.5'],
      ['usage', null, 'standard', '25.005'],
      ['usage', null, 'standard', '0.125'],
    ]);
    const first = rows[0]!.row;
    assert.equal(first.provider, 'anthropic');
    assert.equal(first.invoice_id, 'anthropic-2026-05');
    assert.equal(first.charge_date, '2026-05-01');
    assert.equal(first.model, 'claude-sonnet-4-5-20250929');
    assert.equal(first.sku, 'Claude Sonnet 4.5 Usage - Input Tokens');
    assert.equal(first.mapping_rule, 'builtin:anthropic-token-type');
    assert.equal(first.account_ref, 'wrkspc_sales');
    assert.equal(first.quantity, null, 'the cost report carries no token counts');
    // long-context lines keep their context window in the sku
    assert.match(rows[6]!.row.sku!, /200k-1M/);
    // web search is a fee of its model
    assert.equal(rows[7]!.row.model, 'claude-sonnet-4-5-20250929');
    assert.equal(rows[7]!.row.mapping_rule, 'builtin:anthropic-web_search');
    // ungrouped line: kept with its amount, unmapped
    const ungrouped = rows[8]!.row;
    assert.deepEqual([ungrouped.charge_date, ungrouped.model, ungrouped.sku, ungrouped.mapping_rule, ungrouped.account_ref], ['2026-05-02', null, null, null, null]);
    // unknown token type: kept, unmapped, provider's model name shown
    assert.equal(rows[9]!.row.provider_model, 'claude-opus-4-8-20260601');
    assert.equal(rows[9]!.row.mapping_rule, null);
    assert.deepEqual(rejects.map((r) => [r.line, r.reject.field, r.reject.value]), [[11, 'amount', 'abc']]);
  });

  it('refuses a usage report with a pointer to the right format', async () => {
    const text = (await import('node:fs')).readFileSync(fixture('anthropic-usage-2025-08.json'), 'utf8');
    await assert.rejects(parseText(anthropicCost, text), /anthropic-usage/);
  });
});

describe('anthropic-usage', () => {
  it('emits one row per token category with tokens (documented example)', async () => {
    const { rows, rejects } = await parseFile(anthropicUsage, fixture('anthropic-usage-2025-08.json'));
    assert.deepEqual(rows.filter((r) => r.line === 1).map((r) => [r.row.token_category, r.row.quantity]), [
      ['input', '1500'], ['cached_input', '200'], ['cache_write_5m', '500'], ['cache_write_1h', '1000'], ['output', '500'],
    ]);
    const first = rows[0]!.row;
    assert.equal(first.usage_date, '2025-08-01');
    assert.equal(first.model, 'claude-sonnet-4-20250514');
    assert.equal(first.account_ref, 'wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ/apikey_01Rj2N8SVvo6BePZj99NhmiT');
    const batch = rows.filter((r) => r.line === 2);
    assert.deepEqual(batch.map((r) => [r.row.token_category, r.row.quantity, r.row.service_tier]), [['input', '42000', 'batch'], ['output', '7000', 'batch']]);
    assert.deepEqual(rejects.map((r) => [r.line, r.reject.field]), [[3, 'output_tokens']]);
  });
});
