import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { describeOnBothEngines } from '../support/db.ts';
import { insertLedgerRecords, insertRateCard, ledgerRecord, rateCardLine } from '../support/builders.ts';

describeOnBothEngines('store', (store) => {
  test('reads numeric, int8 and date as exact text', async () => {
    const { rows } = await sql<{ n: string; i: string; d: string }>`select 0.000000075::numeric * 3 as n, 9007199254740993::int8 as i, date '2026-05-31' as d`.execute(store().db);
    assert.deepEqual(rows[0], { n: '0.000000225', i: '9007199254740993', d: '2026-05-31' });
  });

  test('ledger records land in monthly partitions', async () => {
    await insertLedgerRecords(store(), [ledgerRecord({ ts: '2026-04-30T23:59:59Z' }), ledgerRecord({ ts: '2026-05-01T00:00:00Z' })]);
    const { rows } = await sql<{ part: string; n: string }>`select tableoid::regclass::text as part, count(*) as n from ledger_record group by 1 order by 1`.execute(store().db);
    assert.deepEqual(rows, [
      { part: 'ledger_record_2026_04', n: '1' },
      { part: 'ledger_record_2026_05', n: '1' },
    ]);
  });

  test('the database refuses overlapping rate card lines for the same key', async () => {
    await insertRateCard(store(), 'v1', [rateCardLine({ effective_from: '2026-01-01T00:00:00Z', effective_to: '2026-06-01T00:00:00Z' })]);
    await assert.rejects(
      insertRateCard(store(), 'v2', [rateCardLine({ effective_from: '2026-05-01T00:00:00Z' })]),
      (error: Error & { code?: string }) => error.code === '23P01',
    );
    await insertRateCard(store(), 'v3', [rateCardLine({ effective_from: '2026-06-01T00:00:00Z' })]);
  });
});
