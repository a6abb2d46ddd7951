import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openAiCosts } from '../../../src/ingest/invoice-formats/openai-costs.ts';
import { openAiUsage } from '../../../src/ingest/invoice-formats/openai-usage.ts';
import { fixture, parseFile, parseText } from './support.ts';

describe('openai-costs', () => {
  it('reads JSONL pages: exact amounts from the number text, per-1K quantities multiplied out, tiers and categories', async () => {
    const { rows, rejects } = await parseFile(openAiCosts, fixture('openai-costs-2026-05.jsonl'));
    assert.equal(rows.length, 7);
    const [input, cached, batch, audio, webSearch, credit, output] = rows.map((r) => r.row);
    assert.deepEqual(input, {
      provider: 'openai', invoice_id: 'openai-2026-05', charge_date: '2026-05-01',
      provider_model: 'gpt-4o-2024-08-06', model: 'gpt-4o-2024-08-06', token_category: 'input', service_tier: 'standard',
      region: null, quantity: '1200000', amount: '3.0000000000000004', currency: 'USD', line_type: 'usage',
      sku: 'gpt-4o-2024-08-06, input', mapping_rule: 'builtin:openai-line-item', account_ref: 'proj_support/key_abc',
    });
    assert.equal(cached!.token_category, 'cached_input');
    assert.equal(cached!.model, 'gpt-4o-mini');
    assert.equal(cached!.quantity, '3500000', '1000_tokens is multiplied by 1000');
    assert.equal(cached!.amount, '0.2625');
    assert.equal(batch!.service_tier, 'batch');
    assert.equal(batch!.token_category, 'output');
    assert.equal(batch!.account_ref, 'proj_research');
    // audio is priced apart from text: kept, with its amount and its model, but unmapped
    assert.equal(audio!.model, 'gpt-4o-realtime-preview-2024-12-17');
    assert.equal(audio!.token_category, null);
    assert.equal(audio!.mapping_rule, null);
    assert.equal(audio!.amount, '0.04');
    assert.equal(webSearch!.line_type, 'fee');
    assert.equal(webSearch!.charge_date, '2026-05-02');
    assert.equal(webSearch!.amount, '0.3');
    assert.equal(credit!.line_type, 'credit');
    assert.equal(credit!.amount, '-5');
    assert.equal(credit!.sku, null);
    assert.equal(output!.amount, '4.8');
    assert.equal(output!.quantity, '480000');
    assert.equal(rejects.length, 1);
    assert.equal(rejects[0]!.reject.field, 'amount.value');
    assert.equal(rejects[0]!.line, 7);
  });

  it('reads an array of pages', async () => {
    const { rows } = await parseFile(openAiCosts, fixture('openai-costs-pages.json'));
    assert.deepEqual(rows.map((r) => [r.row.charge_date, r.row.invoice_id, r.row.token_category, r.row.quantity, r.row.amount]), [
      ['2026-05-01', 'openai-2026-05', 'output', '1000000', '0.6'],
      ['2026-05-31', 'openai-2026-05', 'input', '2000000', '0.30000000000000001'],
    ]);
  });

  it('a user mapping overrides the built-in reading', async () => {
    const { rows } = await parseFile(openAiCosts, fixture('openai-costs-2026-05.jsonl'), fixture('mapping-override.json'));
    const audio = rows.find((r) => r.row.sku?.includes('audio input'))!.row;
    assert.equal(audio.model, 'gpt-4o-realtime-preview-2024-12-17');
    assert.equal(audio.token_category, 'input');
    assert.equal(audio.mapping_rule, 'user:mapping-override.json:1');
  });

  it('throws a clear error for a file that is not a costs export', async () => {
    await assert.rejects(parseText(openAiCosts, '{"hello": "world"}'), /not an OpenAI Costs API export/);
    await assert.rejects(parseText(openAiCosts, 'provider,amount\nopenai,1\n'), /expected a value|Parser/);
    const usage = await import('node:fs').then((fs) => fs.readFileSync(fixture('openai-usage-2026-05.json'), 'utf8'));
    await assert.rejects(parseText(openAiCosts, usage), /openai-usage/);
  });
});

describe('openai-usage', () => {
  it('splits input into uncached, cached and cache-write tokens and counts requests', async () => {
    const { rows, rejects } = await parseFile(openAiUsage, fixture('openai-usage-2026-05.json'));
    const first = rows.filter((r) => r.line === 1).map((r) => [r.row.token_category, r.row.quantity, r.row.requests]);
    // spec example: 5000 input incl. 1800 cached and 200 cache-write → 3000 uncached
    assert.deepEqual(first, [
      ['input', '3000', null], ['cached_input', '1800', null], ['cache_write_5m', '200', null], ['output', '1000', null], ['request', '5', '5'],
    ]);
    const one = rows[0]!.row;
    assert.equal(one.usage_date, '2026-05-01');
    assert.equal(one.service_tier, 'standard');
    assert.equal(one.model, 'gpt-4o-mini-2024-07-18');
    assert.equal(one.account_ref, 'proj_abc/key_abc');
    const batch = rows.filter((r) => r.line === 2);
    assert.ok(batch.every((r) => r.row.service_tier === 'batch'));
    assert.deepEqual(batch.map((r) => [r.row.token_category, r.row.quantity]), [['input', '900000'], ['output', '120000'], ['request', '40']]);
    // cached > input is impossible: rejected with the numbers, not clamped
    assert.equal(rejects.length, 1);
    assert.equal(rejects[0]!.line, 3);
    assert.match(rejects[0]!.reject.reason, /less than cached 300/);
  });
});
