import { sql } from 'kysely';
import type { Store } from '../../src/db/connection.ts';
import { insertLedgerRecords, insertRateCard, ledgerRecord, rateCardLine, type LedgerRecordInput } from '../support/builders.ts';

// 1M input + 100k output tokens: $3.50 under card v1 (2.50 + 1.00), $4.20 under v2 (3.00 + 1.20).
function record(request_id: string, overrides: Partial<LedgerRecordInput> = {}): LedgerRecordInput {
  return ledgerRecord({
    request_id,
    ts: '2026-05-10T12:00:00Z',
    input_tokens: 1_000_000,
    output_tokens: 100_000,
    workflow: 'route-a',
    gateway_key_id: 'key-support',
    price_card_version: 'v1',
    provider_response_id: `resp-${request_id}`,
    ...overrides,
  });
}

/**
 * A month with one record per defect (and two clean ones), hand-priced:
 * A1 clean · A2 no workflow/card version/correlation id · A3 tagged sales on support's key ·
 * A4 untagged on an unowned key, grouped only by conversation · A5 unlinked retry priced with v1
 * after v2 took effect · A6 fallback gpt-4o-mini → gpt-4o · A7 alias only (not a fallback) ·
 * A8 staging on a production key · A9 a model with no card · A12 research on the unowned key.
 * Plus one record in June and one in a replaced file, which the audit must not see.
 */
export async function monthWithEveryDefect(store: Store): Promise<void> {
  await insertRateCard(store, 'v1', [
    rateCardLine({ token_category: 'input', unit_price: '2.50', effective_to: '2026-05-15T00:00:00Z' }),
    rateCardLine({ token_category: 'output', unit_price: '10.00', effective_to: '2026-05-15T00:00:00Z' }),
  ]);
  await insertRateCard(store, 'v2', [
    rateCardLine({ token_category: 'input', unit_price: '3.00', effective_from: '2026-05-15T00:00:00Z' }),
    rateCardLine({ token_category: 'output', unit_price: '12.00', effective_from: '2026-05-15T00:00:00Z' }),
  ]);
  // gpt-4o → gpt-4o-2024-08-06 and gpt-4o-mini → gpt-4o-mini-2024-07-18 come from the built-in aliases (0301).
  await store.db
    .insertInto('gateway_key_owner')
    .values([
      { gateway_key_id: 'key-support', team: 'support', service: 'triage', environment: 'production', source: 'test' },
      { gateway_key_id: 'key-sales', team: 'sales', service: 'proposals', environment: 'production', source: 'test' },
    ])
    .execute();
  await store.db.insertInto('team_owner').values({ team: 'support', cost_center: 'cc-4210', owner: 'dana@example.com', monthly_budget: '100.00', source: 'test' }).execute();

  await insertLedgerRecords(store, [
    record('A1'),
    record('A2', { workflow: null, price_card_version: null, provider_response_id: null }),
    record('A3', { team: 'sales', service: 'proposals' }),
    record('A4', { team: null, service: null, workflow: null, gateway_key_id: 'key-orphan', conversation_id: 'conv-1' }),
    record('A5', { ts: '2026-05-20T08:00:00Z', attempt: 2 }),
    record('A6', { requested_model: 'gpt-4o-mini', response_model: 'gpt-4o' }),
    record('A7', { requested_model: 'gpt-4o', response_model: 'gpt-4o-2024-08-06' }),
    record('A8', { environment: 'staging' }),
    record('A9', { response_model: 'mystery-model' }),
    record('A12', { team: 'research', service: 'evals', gateway_key_id: 'key-orphan' }),
    record('JUNE', { ts: '2026-06-01T00:00:00Z', team: null }),
  ]);
  const replaced = await insertLedgerRecords(store, [record('OLD', { team: null })], 'replaced');
  await sql`update ingested_file set status = 'replaced' where id = ${replaced}`.execute(store.db);
}
