import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bedrockCur } from '../../../src/ingest/invoice-formats/bedrock-cur.ts';
import { readBedrockUsageType } from '../../../src/ingest/invoice-formats/bedrock-usage-types.ts';
import { fixture, parseFile, parseText } from './support.ts';

describe('bedrock-cur', () => {
  it('reads Bedrock rows of a CUR 2.0 export: categories, tiers, regions, quantities in the stated unit', async () => {
    const { rows, rejects } = await parseFile(bedrockCur, fixture('bedrock-cur-2026-05.csv'));
    const got = rows.map((r) => [r.line, r.row.charge_date, r.row.model, r.row.token_category, r.row.service_tier, r.row.region, r.row.quantity, r.row.amount, r.row.line_type]);
    assert.deepEqual(got, [
      [2, '2026-05-01', 'claude-sonnet-4-5-20250929', 'input', 'standard', 'us-east-1', '2900500', '8.7015', 'usage'],
      [3, '2026-05-01', 'claude-sonnet-4-5-20250929', 'output', 'standard', 'us-east-1', '150000', '2.25', 'usage'],
      [4, '2026-05-02', 'claude-sonnet-4-5-20250929', 'cached_input', 'standard', 'us-west-2', '1000000', '0.3', 'usage'],
      [5, '2026-05-02', 'claude-sonnet-4-5-20250929', 'cache_write_5m', 'standard', 'us-east-1', '40000', '0.15', 'usage'],
      [6, '2026-05-02', 'claude-sonnet-4-20250514', 'input', 'standard', 'us-east-1', '10000', '0.03', 'usage'],
      [7, '2026-05-03', 'claude-sonnet-4-5-20250929', 'output', 'batch', 'us-east-1', '100000', '0.75', 'usage'],
      // an unknown model keeps its token category (issue #17.3)
      [8, '2026-05-03', null, 'input', 'standard', 'us-east-1', '5000', '0.0036', 'usage'],
      // no pricing_unit: the quantity is not guessed
      [9, '2026-05-03', 'nova-lite', 'input', 'standard', 'us-east-1', null, '0.12', 'usage'],
      [11, '2026-05-31', null, null, 'standard', null, null, '-25', 'credit'],
      [12, '2026-05-01', null, null, 'standard', null, null, '1.23', 'tax'],
      [15, '2026-05-31', 'claude-sonnet-4-5-20250929', 'output', 'standard', 'us-east-1', '1500', '0.0225', 'usage'],
    ]);
    const first = rows[0]!.row;
    assert.equal(first.provider, 'aws.bedrock');
    assert.equal(first.invoice_id, '1234567890');
    assert.equal(first.sku, 'USE1-Claude4.5Sonnet-input-tokens');
    assert.equal(first.provider_model, 'Claude4.5Sonnet');
    assert.equal(first.mapping_rule, 'builtin:bedrock-usage-type');
    assert.equal(first.account_ref, '111122223333');
    const llama = rows[6]!.row;
    assert.equal(llama.mapping_rule, null, 'an unknown model is kept unmapped');
    assert.equal(llama.provider_model, 'Llama3.3-70B');
    assert.equal(rows[9]!.row.invoice_id, 'aws.bedrock-2026-05', 'no bill_invoice_id: provider and billing period');
    assert.deepEqual(rejects.map((r) => [r.line, r.reject.field]), [[13, 'line_item_unblended_cost'], [14, 'line_item_usage_start_date']]);
  });

  it('a user mapping names an unknown model and overrides a tier', async () => {
    const { rows } = await parseFile(bedrockCur, fixture('bedrock-cur-2026-05.csv'), fixture('mapping-override.json'));
    const llama = rows.find((r) => r.line === 8)!.row;
    assert.deepEqual([llama.model, llama.token_category, llama.mapping_rule], ['llama-3.3-70b-instruct', 'input', 'user:mapping-override.json:2']);
    const batch = rows.find((r) => r.line === 7)!.row;
    assert.deepEqual([batch.service_tier, batch.mapping_rule], ['flex', 'user:mapping-override.json:3']);
  });

  it('reads legacy CUR headers (lineItem/UsageType)', async () => {
    const csv = [
      'identity/LineItemId,bill/InvoiceId,lineItem/LineItemType,lineItem/UsageStartDate,lineItem/ProductCode,lineItem/UsageType,lineItem/UsageAmount,lineItem/UnblendedCost,pricing/unit',
      'x,INV-9,Usage,2026-05-04T00:00:00Z,AmazonBedrock,EUC1-Claude4.5Haiku-input-tokens-priority,12,0.012,1K tokens',
    ].join('\n');
    const { rows } = await parseText(bedrockCur, csv);
    assert.deepEqual(rows.map((r) => [r.row.model, r.row.service_tier, r.row.region, r.row.quantity, r.row.invoice_id]), [
      ['claude-haiku-4-5-20251001', 'priority', 'eu-central-1', '12000', 'INV-9'],
    ]);
  });

  it('throws for a CSV that is not a CUR', async () => {
    await assert.rejects(parseText(bedrockCur, 'a,b\n1,2\n', 'x.csv'), /not an AWS CUR export: missing column/);
  });

  it('reads the documented usage-type shapes', () => {
    const cases: [string, string | null, string | null, string | null, string | null][] = [
      ['USW2-Claude4.6Sonnet-cache-read-input-token-count', 'claude-sonnet-4-6', 'cached_input', 'standard', 'us-west-2'],
      ['USE1-Claude4Sonnet-cache-read-input-token-count-cross-region-global', 'claude-sonnet-4-20250514', 'cached_input', 'standard', 'us-east-1'],
      ['USE1-Nova2.0Lite-cache-write-input-token-count', 'nova-2-lite', 'cache_write_5m', 'standard', 'us-east-1'],
      ['USW2-anthropic.claude-opus-4-8-mantle-cache-write-tokens-standard', 'claude-opus-4-8', 'cache_write_5m', 'standard', 'us-west-2'],
      ['USE1-Claude4.5Sonnet-input-tokens-flex', 'claude-sonnet-4-5-20250929', 'input', 'flex', 'us-east-1'],
      ['APN2-Claude4.5Sonnet-output-tokens-cross-region', 'claude-sonnet-4-5-20250929', 'output', 'standard', 'ap-northeast-2'],
    ];
    for (const [usageType, model, category, tier, region] of cases) {
      const m = readBedrockUsageType(usageType);
      assert.deepEqual([m?.model, m?.token_category, m?.service_tier, m?.region], [model, category, tier, region], usageType);
    }
    assert.equal(readBedrockUsageType('USE1-ProvisionedThroughput'), null);
  });
});
