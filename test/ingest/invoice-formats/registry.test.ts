import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { invoiceFormats, usageFormats } from '../../../src/ingest/invoice-formats/index.ts';
import { fixture, head } from './support.ts';

const ALL = [...invoiceFormats, ...usageFormats];

function detected(text: string, fileName: string): string[] {
  return ALL.filter((f) => f.detect(text, fileName)).map((f) => f.name);
}

describe('provider format registry', () => {
  it('lists the invoice formats and usage formats in detection order', () => {
    assert.deepEqual(invoiceFormats.map((f) => [f.name, f.kind]), [
      ['openai-costs', 'invoice'], ['openai-costs-csv', 'invoice'], ['anthropic-cost', 'invoice'], ['bedrock-cur', 'invoice'],
      ['azure-cost-details', 'invoice'], ['gcp-billing-export', 'invoice'], ['focus', 'invoice'],
    ]);
    assert.deepEqual(usageFormats.map((f) => [f.name, f.kind]), [['openai-usage', 'usage'], ['openai-usage-csv', 'usage'], ['anthropic-usage', 'usage']]);
    for (const f of ALL) assert.ok(f.description.length > 20, f.name);
  });

  it('each fixture is detected by exactly its own format', () => {
    const cases: [string, string][] = [
      ['openai-costs-2026-05.jsonl', 'openai-costs'],
      ['openai-costs-pages.json', 'openai-costs'],
      ['openai-usage-2026-05.json', 'openai-usage'],
      ['anthropic-cost-2026-05.json', 'anthropic-cost'],
      ['anthropic-usage-2025-08.json', 'anthropic-usage'],
      ['bedrock-cur-2026-05.csv', 'bedrock-cur'],
      ['azure-openai-focus-1.0.csv', 'focus'],
      ['focus-1.2-multicloud.csv', 'focus'],
      ['focus-1.0-sample-non-ai.csv', 'focus'],
      ['openai-usage-page-costs-2026-05.csv', 'openai-costs-csv'],
      ['openai-usage-page-completions-2026-05.csv', 'openai-usage-csv'],
      ['azure-cost-details-ea-2026-05.csv', 'azure-cost-details'],
      ['gcp-billing-export-2026-05.csv', 'gcp-billing-export'],
      ['gcp-billing-export-2026-05.jsonl', 'gcp-billing-export'],
    ];
    for (const [file, format] of cases) assert.deepEqual(detected(head(fixture(file)), file), [format], file);
  });

  it('claims none of recon\'s own CSVs nor unrelated files', () => {
    const others: [string, string][] = [
      ['provider,invoice_id,charge_date,model,token_category,service_tier,quantity,amount,currency,line_type\nopenai,inv,2026-05-01,gpt-4o,input,standard,1,1,USD,usage\n', 'invoice.csv'],
      ['request_id,timestamp,provider,response_model,input_tokens,output_tokens\nr1,2026-05-01T00:00:00Z,openai,gpt-4o,1,1\n', 'ledger.csv'],
      [head(fixture('azure-openai-daily-excerpt.csv')), 'azure-openai-daily-excerpt.csv'],
      ['{"object":"list","data":[{"id":"gpt-4o"}]}', 'models.json'],
      ['', 'empty.csv'],
    ];
    for (const [text, file] of others) assert.deepEqual(detected(text, file), [], file);
  });
});
