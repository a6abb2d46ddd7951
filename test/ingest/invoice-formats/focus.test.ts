import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readAzureMeter } from '../../../src/ingest/invoice-formats/azure-meters.ts';
import { focus } from '../../../src/ingest/invoice-formats/focus.ts';
import { fixture, parseFile, parseText } from './support.ts';

describe('focus', () => {
  it('reads an Azure OpenAI FOCUS 1.0 export: meters mapped, per-1K and per-1M quantities multiplied out', async () => {
    const { rows, rejects } = await parseFile(focus, fixture('azure-openai-focus-1.0.csv'));
    const got = rows.map((r) => [r.line, r.row.charge_date, r.row.model, r.row.token_category, r.row.quantity, r.row.amount, r.row.line_type, r.row.invoice_id]);
    assert.deepEqual(got, [
      [2, '2025-03-28', 'gpt-4o-2024-05-13', 'input', '467572', '2.33786', 'usage', 'azure.ai.openai-2025-03'],
      [3, '2025-03-28', 'gpt-4o-2024-05-13', 'output', '54722', '0.82083', 'usage', 'azure.ai.openai-2025-03'],
      [4, '2025-03-28', null, null, '750', '0.001125', 'usage', 'azure.ai.openai-2025-03'],
      [5, '2025-04-01', 'gpt-4o-mini-2024-07-18', 'input', '13823', '0.00207345', 'usage', 'azure.ai.openai-2025-04'],
      [6, '2025-04-01', 'gpt-4o-mini-2024-07-18', 'output', '2274', '0.0013644', 'usage', 'azure.ai.openai-2025-04'],
      [7, '2025-04-01', 'DeepSeek-R1', 'input', '376', '0.0005076', 'usage', 'azure.ai.openai-2025-04'],
      [8, '2025-04-01', 'DeepSeek-R1', 'output', '4096', '0.0221184', 'usage', 'azure.ai.openai-2025-04'],
      [9, '2025-04-01', 'gpt-4o-2024-05-13', 'output', '68433', '1.026495', 'usage', 'azure.ai.openai-2025-04'],
      [10, '2025-04-01', null, null, null, '0.2', 'tax', 'azure.ai.openai-2025-04'],
      [11, '2025-04-02', null, null, null, '-0.5', 'discount', 'azure.ai.openai-2025-04'],
      [13, '2025-04-02', 'gpt-4o-2024-05-13', 'input', '54955.6', '0.27478', 'usage', 'azure.ai.openai-2025-04'],
    ]);
    const first = rows[0]!.row;
    assert.deepEqual([first.provider, first.service_tier, first.region, first.sku, first.provider_model, first.mapping_rule, first.account_ref, first.currency], [
      'azure.ai.openai', 'standard', 'swedencentral', 'gpt 4o 0513 Input global Tokens', 'gpt 4o 0513', 'builtin:azure-meter', 'sub-1', 'USD',
    ]);
    assert.equal(rows[2]!.row.mapping_rule, null, 'Standard Text Records is kept, unmapped');
    assert.deepEqual(rejects.map((r) => [r.line, r.reject.field, r.reject.value]), [[14, 'BilledCost', 'oops']]);
  });

  it('reads FOCUS 1.2 with InvoiceId across clouds (Bedrock, Vertex AI), skipping non-AI services', async () => {
    const { rows, rejects } = await parseFile(focus, fixture('focus-1.2-multicloud.csv'));
    assert.equal(rejects.length, 0);
    const got = rows.map((r) => [r.line, r.row.provider, r.row.invoice_id, r.row.charge_date, r.row.model, r.row.token_category, r.row.quantity, r.row.amount, r.row.line_type, r.row.region]);
    assert.deepEqual(got, [
      [2, 'aws.bedrock', 'INV-AWS-2026-05', '2026-05-01', 'claude-sonnet-4-5-20250929', 'input', '2900500', '8.7015', 'usage', 'us-east-1'],
      [3, 'aws.bedrock', 'INV-AWS-2026-05', '2026-05-31', null, null, null, '-10', 'credit', null],
      [4, 'gcp.vertex_ai', 'GCP-INV-77', '2026-05-02', 'gemini-2.5-flash', 'input', '1500000', '0.45', 'usage', 'us-central1'],
      // storage is not a token category: unmapped, the model it belongs to kept
      [5, 'gcp.vertex_ai', 'GCP-INV-77', '2026-05-02', 'gemini-3-flash', null, null, '0.05', 'usage', 'us-central1'],
    ]);
  });

  it('skips every row of a cloud bill without AI services (FOCUS 1.0 sample)', async () => {
    const { rows, rejects } = await parseFile(focus, fixture('focus-1.0-sample-non-ai.csv'));
    assert.equal(rows.length + rejects.length, 0);
  });

  it('throws for a CSV without FOCUS columns', async () => {
    await assert.rejects(parseFile(focus, fixture('azure-openai-daily-excerpt.csv')), /not a FOCUS export: missing column\(s\) billedcost, chargeperiodstart, chargecategory/);
  });

  it('normalises inconsistent Azure meter names', () => {
    const cases: [string, string | null, string | null, string][] = [
      ['gpt 4o 1120 cached Inp glbl', 'gpt-4o-2024-11-20', 'cached_input', 'standard'],
      ['gpt-4o-0806-Outp-glbl', 'gpt-4o-2024-08-06', 'output', 'standard'],
      ['gpt 4.5 0227 cached Inp DZone', 'gpt-4.5-preview-2025-02-27', 'cached_input', 'standard'],
      ['gpt-35-turbo-4k-Input-regional', 'gpt-3.5-turbo', 'input', 'standard'],
      ['gpt-4-8K-Batch-Inp-glbl Tokens', 'gpt-4', 'input', 'batch'],
      ['GPT 5 Inpt Glbl', 'gpt-5-2025-08-07', 'input', 'standard'],
      ['gpt-4o-transcribe-aud-inp-glbl Tokens', null, null, 'standard'],
    ];
    for (const [meter, model, category, tier] of cases) {
      const m = readAzureMeter(meter);
      assert.deepEqual([m?.model ?? null, m?.token_category ?? null, m?.service_tier], [model, category, tier], meter);
    }
  });

  it('reads US-style dates of the FOCUS spec examples and rejects a missing charge period', async () => {
    const csv = [
      'BilledCost,ChargeCategory,ChargePeriodStart,ProviderName,ServiceName,PricingQuantity,PricingUnit,SkuMeter,BillingPeriodStart',
      '1.00,Usage,4/1/25,Microsoft,Azure OpenAI Service,1,1M Tokens,gpt-4o-mini-0718-Inp-glbl Tokens,4/1/25',
      '2.00,Usage,,Microsoft,Azure OpenAI Service,1,1M Tokens,gpt-4o-mini-0718-Inp-glbl Tokens,4/1/25',
    ].join('\n');
    const { rows, rejects } = await parseText(focus, csv);
    assert.deepEqual(rows.map((r) => [r.row.charge_date, r.row.invoice_id, r.row.quantity]), [['2025-04-01', 'azure.ai.openai-2025-04', '1000000']]);
    assert.deepEqual(rejects.map((r) => [r.line, r.reject.field]), [[3, 'ChargePeriodStart']]);
  });
});
