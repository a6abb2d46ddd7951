import { sql } from 'kysely';
import type { Store } from '../../src/db/connection.ts';

// Builders with defaults and overrides for tests that need rows without going through ingest.

export interface LedgerRecordInput {
  ts: string;
  request_id: string;
  provider: string;
  response_model: string;
  input_tokens: number | string;
  output_tokens: number | string;
  requested_model?: string | null;
  original_request_id?: string | null;
  attempt?: number | null;
  cache_read_input_tokens?: number | string;
  cache_write_5m_input_tokens?: number | string;
  cache_write_1h_input_tokens?: number | string;
  reasoning_output_tokens?: number | string;
  service_tier?: string;
  status?: string;
  http_status?: number | null;
  team?: string | null;
  service?: string | null;
  cost_center?: string | null;
  tenant?: string | null;
  environment?: string | null;
  workflow?: string | null;
  user_id?: string | null;
  gateway_key_id?: string | null;
  region?: string | null;
  price_card_version?: string | null;
  gateway_cost_usd?: string | null;
  provider_response_id?: string | null;
  trace_id?: string | null;
  conversation_id?: string | null;
}

let sequence = 0;

export function ledgerRecord(overrides: Partial<LedgerRecordInput> = {}): LedgerRecordInput {
  sequence += 1;
  return {
    ts: '2026-05-10T12:00:00Z',
    request_id: `req-${sequence}`,
    provider: 'openai',
    response_model: 'gpt-4o-2024-08-06',
    input_tokens: 1000,
    output_tokens: 100,
    team: 'support',
    service: 'triage',
    environment: 'production',
    ...overrides,
  };
}

async function testFile(store: Store, kind: 'ledger' | 'invoice' | 'ratecard', label: string): Promise<string> {
  sequence += 1;
  const row = await store.db
    .insertInto('ingested_file')
    .values({ kind, format: 'test', path: `test://${label}/${sequence}`, sha256: `test-${kind}-${sequence}-${Date.now()}`, bytes: 0 })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Inserts ledger records directly (no ingest), creating partitions as needed. Returns the file id. */
export async function insertLedgerRecords(store: Store, records: LedgerRecordInput[], label = 'ledger'): Promise<string> {
  const fileId = await testFile(store, 'ledger', label);
  if (records.length === 0) return fileId;
  const times = records.map((r) => new Date(r.ts).getTime());
  await sql`select ensure_ledger_partitions(${new Date(Math.min(...times)).toISOString()}::timestamptz, ${new Date(Math.max(...times) + 1).toISOString()}::timestamptz)`.execute(store.db);
  for (let i = 0; i < records.length; i += 500) {
    await store.db
      .insertInto('ledger_record')
      .values(
        records.slice(i, i + 500).map((r, j) => ({
          ...r,
          input_tokens: String(r.input_tokens),
          output_tokens: String(r.output_tokens),
          cache_read_input_tokens: String(r.cache_read_input_tokens ?? 0),
          cache_write_5m_input_tokens: String(r.cache_write_5m_input_tokens ?? 0),
          cache_write_1h_input_tokens: String(r.cache_write_1h_input_tokens ?? 0),
          reasoning_output_tokens: String(r.reasoning_output_tokens ?? 0),
          ingested_file_id: fileId,
          source_line: String(i + j + 2),
        })),
      )
      .execute();
  }
  return fileId;
}

export interface InvoiceLineInput {
  provider: string;
  invoice_id: string;
  charge_date: string;
  provider_model: string | null;
  model: string | null;
  token_category: string | null;
  service_tier: string;
  quantity: string | null;
  amount: string;
  line_type: 'usage' | 'discount' | 'credit' | 'tax' | 'fee';
  sku?: string | null;
  mapping_rule?: string | null;
  region?: string | null;
  account_ref?: string | null;
  /** as billed; USD when left out (the column default) */
  currency?: string;
  /** Google Cloud's own rate, units of `currency` per USD (src/fx) */
  usd_conversion_rate?: string | null;
}

export function invoiceLine(overrides: Partial<InvoiceLineInput> = {}): InvoiceLineInput {
  return {
    provider: 'openai',
    invoice_id: 'INV-2026-05',
    charge_date: '2026-05-10',
    provider_model: 'gpt-4o-2024-08-06',
    model: 'gpt-4o-2024-08-06',
    token_category: 'input',
    service_tier: 'standard',
    quantity: '1000',
    amount: '0.0025',
    line_type: 'usage',
    mapping_rule: 'test',
    ...overrides,
  };
}

export async function insertInvoiceLines(store: Store, lines: InvoiceLineInput[], label = 'invoice'): Promise<string> {
  const fileId = await testFile(store, 'invoice', label);
  if (lines.length === 0) return fileId;
  for (let i = 0; i < lines.length; i += 500) {
    await store.db
      .insertInto('invoice_line')
      .values(lines.slice(i, i + 500).map((l, j) => ({ ...l, ingested_file_id: fileId, source_line: String(i + j + 2) })))
      .execute();
  }
  return fileId;
}

export interface RateCardLineInput {
  provider: string;
  model: string;
  service_tier: 'standard' | 'batch' | 'flex' | 'priority';
  token_category: 'input' | 'cached_input' | 'cache_write_5m' | 'cache_write_1h' | 'output' | 'reasoning_output' | 'request';
  unit_price: string;
  effective_from: string;
  effective_to?: string | null;
  region?: string;
  min_input_tokens?: string;
}

export function rateCardLine(overrides: Partial<RateCardLineInput> = {}): RateCardLineInput {
  return {
    provider: 'openai',
    model: 'gpt-4o-2024-08-06',
    service_tier: 'standard',
    token_category: 'input',
    unit_price: '2.50',
    effective_from: '2026-01-01T00:00:00Z',
    effective_to: null,
    ...overrides,
  };
}

/** Inserts one card version with its lines directly (no import). Returns the version id. */
export async function insertRateCard(store: Store, cardVersion: string, lines: RateCardLineInput[]): Promise<string> {
  const version = await store.db
    .insertInto('rate_card_version')
    .values({ card_version: cardVersion, source: 'test' })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (lines.length > 0) {
    await store.db
      .insertInto('rate_card_line')
      .values(lines.map((l) => ({ ...l, effective_to: l.effective_to ?? null, card_version_id: version.id })))
      .execute();
  }
  return version.id;
}
