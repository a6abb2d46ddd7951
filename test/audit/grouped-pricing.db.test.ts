import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { parsePeriod } from '../../src/period.ts';
import { auditPeriod } from '../../src/audit/audit-period.ts';
import type { AuditReport } from '../../src/audit/report.ts';
import { describeEachBackend } from '../support/db.ts';
import { insertLedgerRecords, insertRateCard, ledgerRecord, rateCardLine } from '../support/builders.ts';

// The audit prices groups of records, not records: records that differ only in their timestamp,
// input size or region must still each get the price in effect for them. Every record below has
// the same owner, key and model name; only what the price depends on changes.
describeEachBackend('evidence audit of records that share everything but the price', (store) => {
  let report: AuditReport;
  before(async () => {
    await insertRateCard(store(), 'v1', [
      rateCardLine({ token_category: 'input', unit_price: '2.50', effective_to: '2026-05-15T00:00:00Z' }),
      rateCardLine({ token_category: 'input', unit_price: '3.00', effective_from: '2026-05-15T00:00:00Z' }),
      rateCardLine({ token_category: 'input', unit_price: '5.00', min_input_tokens: '200000' }),
      rateCardLine({ token_category: 'input', unit_price: '4.00', region: 'eu' }),
      // a price change at noon: records of one group on both sides of it
      rateCardLine({ model: 'noon-model', token_category: 'input', unit_price: '1.00', effective_to: '2026-05-12T12:00:00Z' }),
      rateCardLine({ model: 'noon-model', token_category: 'input', unit_price: '2.00', effective_from: '2026-05-12T12:00:00Z' }),
    ]);
    // an alias that takes effect in the middle of the month: before it, the name has no card
    await store()
      .db.insertInto('model_alias')
      .values({ provider: 'openai', alias: 'house-model', model: 'gpt-4o-2024-08-06', effective_from: new Date('2026-05-20T00:00:00Z'), source: 'test' })
      .execute();
    const record = (request_id: string, overrides: Parameters<typeof ledgerRecord>[0]) =>
      ledgerRecord({ request_id, input_tokens: 100_000, output_tokens: 0, workflow: 'route-a', price_card_version: 'v1', provider_response_id: `resp-${request_id}`, ...overrides });
    await insertLedgerRecords(store(), [
      record('P1', { ts: '2026-05-10T00:00:00Z' }), // 0.1M × 2.50 = 0.25
      record('P2', { ts: '2026-05-16T00:00:00Z' }), // 0.1M × 3.00 = 0.30
      record('P3', { ts: '2026-05-16T00:00:00Z', input_tokens: 300_000 }), // long context: 0.3M × 5.00 = 1.50
      record('P4', { ts: '2026-05-16T00:00:00Z', region: 'eu' }), // the region's line: 0.1M × 4.00 = 0.40
      record('P5', { ts: '2026-05-10T00:00:00Z', response_model: 'house-model' }), // no alias yet: unpriced
      record('P6', { ts: '2026-05-21T00:00:00Z', response_model: 'house-model' }), // aliased: 0.1M × 3.00 = 0.30
      record('P7', { ts: '2026-05-16T00:00:00Z', input_tokens: 200_000 }), // at the threshold, not above it: 0.2M × 3.00 = 0.60
      record('N1', { ts: '2026-05-12T11:00:00Z', response_model: 'noon-model' }), // 0.1M × 1.00 = 0.10
      record('N2', { ts: '2026-05-12T13:00:00Z', response_model: 'noon-model' }), // 0.1M × 2.00 = 0.20
    ]);
    report = await auditPeriod(store().db, { period: parsePeriod('2026-05') });
  });

  test('each record is priced with the line in effect at its time, size and region, alias applied', () => {
    assert.equal(report.records, '9');
    assert.equal(report.priced_cost, '3.65');
    assert.equal(report.unpriced_records, '1');
  });

  test('the card version in effect follows the record: only the record with no card in effect mismatches', () => {
    assert.deepEqual(
      report.findings.map((f) => [f.finding, f.subject, f.records, f.at_stake, f.sample_request_ids]),
      [['card_version_mismatch', 'openai house-model: v1 vs no card in effect', '1', '0.00', ['P5']]],
    );
  });
});
