import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Decimal } from '../../../src/money.ts';
import type { ParsedRow, Reject, SourceFormat } from '../../../src/ingest/format.ts';
import { azureCostDetails } from '../../../src/ingest/invoice-formats/azure-cost-details.ts';
import { readAzureMeter } from '../../../src/ingest/invoice-formats/azure-meters.ts';
import { bedrockCur } from '../../../src/ingest/invoice-formats/bedrock-cur.ts';
import { readBedrockUsageType } from '../../../src/ingest/invoice-formats/bedrock-usage-types.ts';
import { focus } from '../../../src/ingest/invoice-formats/focus.ts';
import { gcpBillingExport } from '../../../src/ingest/invoice-formats/gcp-billing-export.ts';
import { openAiCostsCsv, openAiUsageCsv } from '../../../src/ingest/invoice-formats/openai-export-csv.ts';
import { fixture } from './support.ts';

// The exports a finance user downloads (issue #17.2), as their documentation lays them out:
// OpenAI's Usage page CSVs, Azure's Cost and usage details, Google Cloud's billing export.
// Every total below is added up by hand from the fixture's own cells.

interface Read<T> {
  rows: { line: number; row: T }[];
  rejects: { line: number; reject: Reject }[];
  skipped: { service: string; amount: string | null }[];
}

async function read<T>(format: SourceFormat<T>, file: string): Promise<Read<T>> {
  const out: Read<T> = { rows: [], rejects: [], skipped: [] };
  const context = { fileName: path.basename(file), onSkipped: (service: string, amount: string | null) => out.skipped.push({ service, amount }) };
  for await (const item of format.parse(fs.createReadStream(file), context)) {
    if ('row' in item) out.rows.push(item);
    else out.rejects.push(item as Extract<ParsedRow<T>, { reject: Reject }>);
  }
  return out;
}

const sum = (amounts: string[]) => amounts.reduce((total, a) => total.plus(a), new Decimal(0)).toFixed();

describe('OpenAI Usage page cost CSV (openai-costs-csv)', () => {
  it('reads line items to the last digit; a day without spend is no line; a bad amount is quarantined', async () => {
    const { rows, rejects } = await read(openAiCostsCsv, fixture('openai-usage-page-costs-2026-05.csv'));
    assert.deepEqual(rows.map((r) => [r.line, r.row.charge_date, r.row.model, r.row.token_category, r.row.service_tier, r.row.line_type, r.row.amount, r.row.currency, r.row.account_ref]), [
      [2, '2026-05-01', 'gpt-4o-2024-08-06', 'input', 'standard', 'usage', '1.2345678901234567', 'USD', 'proj_research'],
      [3, '2026-05-01', 'gpt-4o-2024-08-06', 'output', 'standard', 'usage', '3.5', 'USD', 'proj_research'],
      [4, '2026-05-01', 'gpt-4o-mini-2024-07-18', 'cached_input', 'standard', 'usage', '0.000375', 'USD', 'proj_growth'],
      [6, '2026-05-03', 'gpt-4o-2024-08-06', 'output', 'batch', 'usage', '0.25', 'USD', 'proj_research'],
      [7, '2026-05-03', null, null, 'standard', 'fee', '0.1', 'USD', 'proj_growth'],
    ]);
    // 1.2345678901234567 + 3.5 + 0.000375 + 0.25
    assert.equal(sum(rows.filter((r) => r.row.line_type === 'usage').map((r) => r.row.amount)), '4.9849428901234567');
    assert.equal(rows[0]!.row.invoice_id, 'openai-2026-05');
    assert.deepEqual(rejects.map((r) => [r.line, r.reject.field, r.reject.value]), [[8, 'amount_value', 'abc']]);
  });
});

describe('OpenAI Usage page completions CSV (openai-usage-csv)', () => {
  it('reads float-written counts and TRUE/FALSE batch; a fractional token count is quarantined', async () => {
    const { rows, rejects } = await read(openAiUsageCsv, fixture('openai-usage-page-completions-2026-05.csv'));
    assert.deepEqual(rows.map((r) => [r.line, r.row.usage_date, r.row.model, r.row.service_tier, r.row.token_category, r.row.quantity]), [
      [2, '2026-05-01', 'gpt-4o-2024-08-06', 'standard', 'input', '8000'],
      [2, '2026-05-01', 'gpt-4o-2024-08-06', 'standard', 'cached_input', '51200'],
      [2, '2026-05-01', 'gpt-4o-2024-08-06', 'standard', 'output', '1800'],
      [2, '2026-05-01', 'gpt-4o-2024-08-06', 'standard', 'request', '12'],
      [3, '2026-05-01', 'gpt-4o-2024-08-06', 'batch', 'input', '1000'],
      [3, '2026-05-01', 'gpt-4o-2024-08-06', 'batch', 'output', '500'],
      [3, '2026-05-01', 'gpt-4o-2024-08-06', 'batch', 'request', '3'],
      [5, '2026-05-03', 'gpt-5-mini-2025-08-07', 'flex', 'input', '40000'],
      [5, '2026-05-03', 'gpt-5-mini-2025-08-07', 'flex', 'cached_input', '2000'],
      [5, '2026-05-03', 'gpt-5-mini-2025-08-07', 'flex', 'output', '9100'],
      [5, '2026-05-03', 'gpt-5-mini-2025-08-07', 'flex', 'request', '7'],
    ]);
    assert.equal(rows[0]!.row.account_ref, 'proj_research/key_1');
    assert.deepEqual(rejects.map((r) => [r.line, r.reject.field, r.reject.value]), [[6, 'input_tokens', '100.5']]);
  });
});

describe('Azure Cost and usage details CSV (azure-cost-details)', () => {
  it('reads Azure OpenAI rows in the billing currency, per-1K and per-1M quantities multiplied out; the rest of the bill is skipped and counted', async () => {
    const { rows, rejects, skipped } = await read(azureCostDetails, fixture('azure-cost-details-ea-2026-05.csv'));
    assert.deepEqual(rows.map((r) => [r.line, r.row.charge_date, r.row.model, r.row.token_category, r.row.service_tier, r.row.quantity, r.row.amount, r.row.currency, r.row.line_type]), [
      [2, '2026-05-01', 'gpt-4o-2024-08-06', 'input', 'standard', '1500000', '3.465', 'EUR', 'usage'],
      [3, '2026-05-01', 'gpt-4o-2024-08-06', 'output', 'standard', '200000', '1.848', 'EUR', 'usage'],
      // an unknown model word keeps its category and tier, unmapped, named for the mapping to add
      [4, '2026-05-02', null, 'cached_input', 'standard', '2500000', '0.575', 'EUR', 'usage'],
      [7, '2026-05-31', null, null, 'standard', null, '-0.01', 'EUR', 'discount'],
    ]);
    const luna = rows[2]!.row;
    assert.deepEqual([luna.provider_model, luna.mapping_rule, luna.sku], ['5.6 luna', null, '5.6 luna ShortCo Cd Inp Std DZ 1M Tokens']);
    assert.deepEqual([rows[0]!.row.provider, rows[0]!.row.invoice_id, rows[0]!.row.account_ref, rows[0]!.row.region], ['azure.ai.openai', 'azure.ai.openai-2026-05', 'sub-eu-1', 'swedencentral']);
    // 3.465 + 1.848 + 0.575 (EUR)
    assert.equal(sum(rows.filter((r) => r.row.line_type === 'usage').map((r) => r.row.amount)), '5.888');
    assert.deepEqual(skipped, [{ service: 'Virtual Machines / Dv3/DSv3 Series', amount: '2.3' }, { service: 'Storage / General Block Blob', amount: '0.12' }]);
    assert.deepEqual(rejects.map((r) => [r.line, r.reject.field, r.reject.value]), [[8, 'CostInBillingCurrency', '1,5']]);
  });
});

describe('Google Cloud billing export (gcp-billing-export)', () => {
  it('CSV: Gemini SKUs to categories, usage in pricing units multiplied out, each credit a line; other services skipped', async () => {
    const { rows, rejects, skipped } = await read(gcpBillingExport, fixture('gcp-billing-export-2026-05.csv'));
    assert.deepEqual(rows.map((r) => [r.line, r.row.charge_date, r.row.model, r.row.token_category, r.row.quantity, r.row.amount, r.row.currency, r.row.line_type]), [
      [2, '2026-05-01', 'gemini-2.5-pro', 'input', '2000000', '2.5', 'EUR', 'usage'],
      [2, '2026-05-01', null, null, null, '-0.5', 'EUR', 'credit'],
      [3, '2026-05-01', 'gemini-2.5-pro', 'output', '1000000', '10', 'EUR', 'usage'],
      [5, '2026-05-02', 'gemini-2.5-flash', 'cached_input', '500000', '0.0375', 'EUR', 'usage'],
    ]);
    assert.deepEqual([rows[0]!.row.provider, rows[0]!.row.invoice_id, rows[0]!.row.account_ref, rows[1]!.row.sku], ['gcp.vertex_ai', 'gcp.vertex_ai-2026-05', 'ml-prod', 'Free trial credit']);
    // 2.5 − 0.5 + 10 + 0.0375
    assert.equal(sum(rows.map((r) => r.row.amount)), '12.0375');
    assert.deepEqual(skipped, [{ service: 'Compute Engine', amount: '1.23' }]);
    assert.deepEqual(rejects.map((r) => [r.line, r.reject.field]), [[6, 'credits']]);
  });

  it('JSON (BigQuery newline-delimited export): nested fields, amounts exact from the number text', async () => {
    const { rows, rejects, skipped } = await read(gcpBillingExport, fixture('gcp-billing-export-2026-05.jsonl'));
    assert.deepEqual(rows.map((r) => [r.line, r.row.model, r.row.token_category, r.row.quantity, r.row.amount, r.row.line_type]), [
      [1, 'gemini-2.5-pro', 'input', '1698765', '2.123456789012345678', 'usage'],
      [1, null, null, null, '-0.123456789012345678', 'discount'],
      [3, 'gemini-2.5-pro', 'output', '750000', '7.5', 'usage'],
    ]);
    // 2.123456789012345678 − 0.123456789012345678 + 7.5: no binary float survives this exactly
    assert.equal(sum(rows.map((r) => r.row.amount)), '9.5');
    assert.deepEqual(skipped, [{ service: 'Compute Engine', amount: '0.31' }]);
    assert.equal(rejects.length, 0);
  });
});

describe('model vocabularies of real bills (#17.3)', () => {
  it('Bedrock: Claude<major>.<minor><Family> derived generically; the table keeps dated ids', () => {
    const cases: [string, string | null, string | null][] = [
      ['USE1-Claude4.6Opus-input-tokens', 'claude-opus-4-6', 'input'],
      ['USW2-Claude4.7Haiku-cache-read-input-token-count', 'claude-haiku-4-7', 'cached_input'],
      ['USE1-Claude5Sonnet-output-tokens-batch', 'claude-sonnet-5', 'output'],
      ['USE1-Claude4.5Sonnet-input-tokens', 'claude-sonnet-4-5-20250929', 'input'],
      ['USE1-Claude3.5Haiku-output-tokens', 'claude-3-5-haiku-20241022', 'output'],
    ];
    for (const [usageType, model, category] of cases) {
      const m = readBedrockUsageType(usageType);
      assert.deepEqual([m?.model, m?.token_category], [model, category], usageType);
    }
  });

  it('Bedrock: Marketplace-billed Claude takes its model from product_product_name', async () => {
    const csv = [
      'bill_invoice_id,line_item_line_item_type,line_item_usage_start_date,line_item_product_code,line_item_usage_type,line_item_usage_amount,line_item_unblended_cost,pricing_unit,product_product_name,line_item_legal_entity',
      'INV-1,Usage,2026-05-01T00:00:00Z,prod-abc123,USW2-MP:USW2_InputTokenCount-Units,2000000,30,Units,Claude Opus 4.6 (Amazon Bedrock Edition),"Anthropic, PBC"',
      'INV-1,Usage,2026-05-01T00:00:00Z,prod-abc123,USW2-MP:USW2_OutputTokenCount-Units,100000,7.5,Units,Claude Opus 4.6 (Amazon Bedrock Edition),"Anthropic, PBC"',
      'INV-1,Usage,2026-05-01T00:00:00Z,prod-def456,USW2-MP:USW2_InputTokenCount-Units,1000000,3,Units,Claude Sonnet 4.5 (Amazon Bedrock Edition),"Anthropic, PBC"',
      'INV-1,Usage,2026-05-01T00:00:00Z,AmazonEC2,USW2-BoxUsage:t3.micro,24,0.25,Hrs,Amazon Elastic Compute Cloud,"Amazon Web Services, Inc."',
    ].join('\n');
    const { Readable } = await import('node:stream');
    const got = [];
    for await (const item of bedrockCur.parse(Readable.from([csv]), { fileName: 'mp.csv' })) if ('row' in item) got.push(item.row);
    assert.deepEqual(got.map((r) => [r.model, r.token_category, r.region, r.quantity, r.amount, r.mapping_rule]), [
      ['claude-opus-4-6', 'input', 'us-west-2', '2000000', '30', 'builtin:bedrock-marketplace'],
      ['claude-opus-4-6', 'output', 'us-west-2', '100000', '7.5', 'builtin:bedrock-marketplace'],
      ['claude-sonnet-4-5-20250929', 'input', 'us-west-2', '1000000', '3', 'builtin:bedrock-marketplace'],
    ]);
    assert.equal(got[0]!.sku, 'USW2-MP:USW2_InputTokenCount-Units (Claude Opus 4.6 (Amazon Bedrock Edition))');
  });

  it('Azure OpenAI: GPT-5.x meter words and undated models', () => {
    const cases: [string, string | null, string | null, string][] = [
      ['5.6 luna ShortCo Cd Inp Std DZ 1M Tokens', null, 'cached_input', 'standard'],
      ['5 mini pp Inp Gl', 'gpt-5-mini-2025-08-07', 'input', 'priority'],
      ['5.5 ShortCo opt Gl', 'gpt-5.5', 'output', 'standard'],
      ['5 Wr Inp Gl', 'gpt-5-2025-08-07', 'cache_write_5m', 'standard'],
      ['gpt 4.1 Outp regnl Tokens', 'gpt-4.1', 'output', 'standard'],
      ['o4 mini Inp glbl', 'o4-mini', 'input', 'standard'],
    ];
    for (const [meter, model, category, tier] of cases) {
      const m = readAzureMeter(meter);
      assert.deepEqual([m?.model ?? null, m?.token_category ?? null, m?.service_tier], [model, category, tier], meter);
    }
    assert.equal(readAzureMeter('5.6 luna ShortCo Cd Inp Std DZ 1M Tokens')?.provider_model, '5.6 luna');
    assert.equal(readAzureMeter('5.5 LongCo Inp Gl')?.context, 'long');
  });
});

describe('FOCUS 1.3 provider columns (#17.4)', () => {
  it('reads rows that name the provider only in ServiceProviderName / HostProviderName', async () => {
    const csv = [
      'BilledCost,ChargeCategory,ChargePeriodStart,ServiceProviderName,HostProviderName,InvoiceIssuerName,ServiceName,PricingQuantity,PricingUnit,SkuMeter,BillingCurrency',
      '12.5,Usage,2026-05-01,Microsoft,Microsoft,Microsoft,Azure OpenAI Service,1,1M Tokens,gpt-4o-mini-0718-Inp-glbl Tokens,USD',
      '21.4,Usage,2026-05-01,Anthropic,Amazon Web Services,Amazon Web Services,Claude Sonnet 4.5,,,,USD',
      '3.10,Usage,2026-05-01,Microsoft,Microsoft,Microsoft,Virtual Machines,1,1 Hour,D2 v3,USD',
    ].join('\n');
    const { Readable } = await import('node:stream');
    const got = [];
    const skipped: string[] = [];
    for await (const item of focus.parse(Readable.from([csv]), { fileName: 'focus13.csv', onSkipped: (s, a) => skipped.push(`${s}:${a}`) })) if ('row' in item) got.push(item.row);
    assert.deepEqual(got.map((r) => [r.provider, r.amount]), [['azure.ai.openai', '12.5'], ['anthropic', '21.4']]);
    // 12.5 + 21.4 = 33.9 of token charges no longer hidden
    assert.equal(sum(got.map((r) => r.amount)), '33.9');
    assert.deepEqual(skipped, ['Virtual Machines:3.10']);
  });
});
