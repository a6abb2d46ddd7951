import { sql } from 'kysely';
import type { Store } from '../../src/db/connection.ts';
import { insertRunPriceCard } from '../../src/pricing/queries.ts';
import { insertInvoiceLines, insertLedgerRecords, insertRateCard, invoiceLine, ledgerRecord, rateCardLine } from '../support/builders.ts';

// A small, hand-checked month as the run stages would have stored it: one OpenAI invoice of
// $9.26, a priced ledger of $9.506, causes that tie out, allocations that sum to the invoice,
// an untagged staging record whose workflow tag is a formula, and a sales service named like one.
//
//   record      team     tokens (in / out)          cost at $2.50 / $10.00 per 1M
//   r-big       support  1,000,000 / 100,000        3.50
//   r-small     support  1,000 / 100                0.0035
//   r-retry     support  1,000 / 0 (attempt 2)      0.0025   (status error)
//   r-untagged  (none)   400,000 / 0                1.00     (staging, key k-staging)
//   r-sales     sales    2,000,000 / 0              5.00
//
// Card prices as the run stores them in run_variance_cell: per token (2.50 per 1M = 0.0000025).

export const HYPERLINK_TAG = '=HYPERLINK("http://x","y")';
export const CMD_SERVICE = "+cmd|' /C calc'!A0";
export const FINISHED_AT = new Date('2026-06-02T06:00:00Z');

export interface MonthFixture {
  runId: string;
  failedRunId: string;
  ledgerFileId: string;
  invoiceFileId: string;
  cardVersionId: string;
}

export async function insertWorkbookMonth(store: Store): Promise<MonthFixture> {
  const cardVersionId = await insertRateCard(store, 'openai-2026-05', [
    rateCardLine({ token_category: 'input', unit_price: '2.50' }),
    rateCardLine({ token_category: 'output', unit_price: '10.00' }),
  ]);
  const ts = '2026-05-10T12:00:00Z';
  const ledgerFileId = await insertLedgerRecords(store, [
    ledgerRecord({ ts, request_id: 'r-big', input_tokens: 1_000_000, output_tokens: 100_000, service: 'triage', workflow: 'summarise', provider_response_id: 'chatcmpl-big' }),
    ledgerRecord({ ts: '2026-05-10T13:00:00Z', request_id: 'r-small', input_tokens: 1000, output_tokens: 100, service: 'triage', workflow: 'summarise' }),
    ledgerRecord({ ts: '2026-05-10T13:00:05Z', request_id: 'r-retry', original_request_id: 'r-small', attempt: 2, status: 'error', input_tokens: 1000, output_tokens: 0, service: 'triage', workflow: 'summarise' }),
    ledgerRecord({ ts, request_id: 'r-untagged', team: null, service: null, environment: 'staging', workflow: HYPERLINK_TAG, gateway_key_id: 'k-staging', input_tokens: 400_000, output_tokens: 0 }),
    ledgerRecord({ ts, request_id: 'r-sales', team: 'sales', service: CMD_SERVICE, workflow: 'proposal', input_tokens: 2_000_000, output_tokens: 0 }),
  ]);
  const invoiceFileId = await insertInvoiceLines(store, [
    invoiceLine({ invoice_id: 'INV-1', token_category: 'input', quantity: '3401000', amount: '8.51' }),
    invoiceLine({ invoice_id: 'INV-1', token_category: 'output', quantity: '100000', amount: '1.00' }),
    invoiceLine({ invoice_id: 'INV-1', line_type: 'discount', model: null, token_category: null, quantity: null, amount: '-0.50', sku: 'discount' }),
    invoiceLine({ invoice_id: 'INV-1', model: null, token_category: null, provider_model: 'mystery', quantity: '10', amount: '0.25', sku: 'mystery-sku', mapping_rule: null }),
  ]);
  const policy = { version: 'default-1', platform_bucket: 'platform', untagged: 'bucket', retries: 'owner', chargeback: { min_attributable_share: '0.95' } };
  const inputs = { files: [{ id: ledgerFileId, kind: 'ledger' }, { id: invoiceFileId, kind: 'invoice' }], card_versions: [{ id: cardVersionId }] };
  const { rows } = await sql<{ id: string }>`
    insert into run (period, trigger, status, started_at, finished_at, inputs, inputs_hash, policy, results_hash)
    values ('2026-05', 'manual', 'succeeded', ${new Date(FINISHED_AT.getTime() - 60_000).toISOString()}::timestamptz, ${FINISHED_AT.toISOString()}::timestamptz,
            ${JSON.stringify(inputs)}::jsonb, 'in-hash', ${JSON.stringify(policy)}::jsonb, 'out-hash')
    returning id::text`.execute(store.db);
  const runId = rows[0]!.id;
  // the run's price slots, as its pricing stage stores them: Top requests prices against these
  await insertRunPriceCard(store.db, { runId, start: '2026-05-01T00:00:00.000Z', end: '2026-06-01T00:00:00.000Z' });
  const failed = await sql<{ id: string }>`insert into run (period, status) values ('2026-05', 'failed') returning id::text`.execute(store.db);

  type Cube = [team: string | null, service: string | null, workflow: string, env: string, key: string | null, status: string, retry: boolean, source: string | null, category: string, records: string, quantity: string, cost: string];
  const cube: Cube[] = [
    ['support', 'triage', 'summarise', 'production', null, 'ok', false, 'tag', 'input', '2', '1001000', '2.5025'],
    ['support', 'triage', 'summarise', 'production', null, 'ok', false, 'tag', 'output', '2', '100100', '1.001'],
    ['support', 'triage', 'summarise', 'production', null, 'ok', false, 'tag', 'request', '2', '2', '0'],
    ['support', 'triage', 'summarise', 'production', null, 'error', true, 'tag', 'input', '1', '1000', '0.0025'],
    ['support', 'triage', 'summarise', 'production', null, 'error', true, 'tag', 'request', '1', '1', '0'],
    [null, null, HYPERLINK_TAG, 'staging', 'k-staging', 'ok', false, null, 'input', '1', '400000', '1.00'],
    [null, null, HYPERLINK_TAG, 'staging', 'k-staging', 'ok', false, null, 'request', '1', '1', '0'],
    ['sales', CMD_SERVICE, 'proposal', 'production', null, 'ok', false, 'tag', 'input', '1', '2000000', '5.00'],
    ['sales', CMD_SERVICE, 'proposal', 'production', null, 'ok', false, 'tag', 'request', '1', '1', '0'],
  ];
  await store.db
    .insertInto('run_cost_cube')
    .values(
      cube.map(([team, service, workflow, environment, gateway_key_id, status, is_retry, owner_source, token_category, records, quantity, cost]) => ({
        run_id: runId, day: '2026-05-10', provider: 'openai', model: 'gpt-4o-2024-08-06', requested_model: 'gpt-4o-2024-08-06',
        service_tier: 'standard', token_category, team, service, workflow, cost_center: team ? `cc-${team}` : null, environment,
        gateway_key_id, status, is_retry, owner_source, card_version_id: cardVersionId, unpriced_reason: null, records, quantity, cost,
      })),
    )
    .execute();

  const cell = { run_id: runId, provider: 'openai', model: 'gpt-4o-2024-08-06', service_tier: 'standard', day: '2026-05-10' };
  await store.db
    .insertInto('run_variance_cell')
    .values([
      { ...cell, token_category: 'input', invoice_quantity: '3401000', invoice_amount: '8.51', ledger_quantity: '3402000', ledger_amount: '8.505', card_unit_price: '0.0000025', volume_effect: '-0.0025', price_effect: '0.0075', variance_amount: '0.005', variance_pct: '0.06', quantity_variance: '-1000', status: 'ok' },
      { ...cell, token_category: 'output', invoice_quantity: '100000', invoice_amount: '1.00', ledger_quantity: '100100', ledger_amount: '1.001', card_unit_price: '0.00001', volume_effect: '-0.001', price_effect: '0', variance_amount: '-0.001', variance_pct: '-0.1', quantity_variance: '-100', status: 'review' },
      { ...cell, token_category: 'request', invoice_quantity: '0', invoice_amount: '0', ledger_quantity: '5', ledger_amount: '0', card_unit_price: null, volume_effect: '0', price_effect: '0', variance_amount: '0', variance_pct: null, quantity_variance: '-5', status: 'ok' },
    ])
    .execute();

  // Per cell, as the explain stage stores it: the input cell's 0.005 is the stale card, the output
  // cell's -0.001 is unexplained (the cell stored 'review' for its whole variance; its unexplained
  // -0.001 is within the default tolerance of 2% and $1.00).
  await store.db
    .insertInto('run_variance_cell_cause')
    .values([
      { ...cell, token_category: 'input', cause: 'stale_price_card', effect: 'price', amount: '0.005', quantity: null },
      { ...cell, token_category: 'output', cause: 'unexplained', effect: 'volume', amount: '-0.001', quantity: null },
    ])
    .execute();

  const cause = { run_id: runId, provider: 'openai', model: null, token_category: null, service_tier: null, day: null, quantity: null };
  await store.db
    .insertInto('run_variance_cause')
    .values([
      { ...cause, cause: 'invoice_discount', amount: '-0.50', rule: 'discount lines', invoice_line_ids: [] },
      { ...cause, cause: 'unmapped_invoice_line', amount: '0.25', rule: 'no mapping', detail: 'sku mystery-sku' },
      { ...cause, model: 'gpt-4o-2024-08-06', token_category: 'input', service_tier: 'standard', day: '2026-05-10', cause: 'stale_price_card', amount: '0.005', rule: 'invoice unit price differs', sample_request_ids: ['r-big', 'r-small'] },
      { ...cause, cause: 'unexplained', amount: '-0.001', rule: 'residual' },
    ])
    .execute();

  const alloc = (team: string, component: string, amount: string, basis: string, extra: { service?: string | null; workflow?: string | null } = {}) => ({
    run_id: runId, provider: 'openai', invoice_id: 'INV-1', team, cost_center: team === 'platform' ? 'cc-platform' : `cc-${team}`,
    service: extra.service ?? null, workflow: extra.workflow ?? null, model: 'gpt-4o-2024-08-06', component, basis, amount, rule: `${component} by priced cost`,
  });
  await store.db
    .insertInto('run_allocation')
    .values([
      alloc('support', 'usage', '3.49', '3.5035', { service: 'triage', workflow: 'summarise' }),
      alloc('support', 'retry', '0.01', '0.0025', { service: 'triage', workflow: 'summarise' }),
      alloc('support', 'discount', '-0.19', '3.506'),
      alloc('platform', 'untagged', '0.98', '1.00', { workflow: HYPERLINK_TAG }),
      alloc('platform', 'unmatched_invoice', '0.25', '0'),
      alloc('sales', 'usage', '5.03', '5.00', { service: CMD_SERVICE, workflow: 'proposal' }),
      alloc('sales', 'discount', '-0.31', '5.00'),
    ])
    .execute();
  const summary = (team: string, allocated: string, priced: string, mode: 'showback' | 'chargeback', reason: string) => ({
    run_id: runId, team, cost_center: `cc-${team}`, allocated, priced_cost: priced, attributable_share: '0.97', variance_share: '0.001',
    untagged_exposure: '0', unexplained_exposure: '0.0004', mode, mode_reason: reason,
  });
  await store.db
    .insertInto('run_team_summary')
    .values([
      summary('support', '3.31', '3.506', 'chargeback', 'all gates pass'),
      summary('sales', '4.72', '5.00', 'showback', 'key k-sales has no named owner'),
      summary('platform', '1.23', '1.00', 'showback', 'platform bucket'),
    ])
    .execute();
  await sql`
    insert into dispute (period, team, reason, ref, amount, status, opened_at, due_date, resolved_at, resolution_note)
    values ('2026-05', 'support', 'retry was a provider outage', 'r-retry', 0.01, 'open', '2026-06-03T09:00:00Z', '2026-06-09', null, null),
           ('2026-05', 'sales', 'not our key', 'r-sales', 5.03, 'rejected', '2026-06-03T09:00:00Z', '2026-06-09', '2026-06-04T10:00:00Z', 'tag is on the record')`.execute(store.db);
  return { runId, failedRunId: failed.rows[0]!.id, ledgerFileId, invoiceFileId, cardVersionId };
}
