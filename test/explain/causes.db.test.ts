import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { sql } from 'kysely';
import { Decimal, money } from '../../src/money.ts';
import { describeEachBackend } from '../support/db.ts';
import { insertRateCard, rateCardLine } from '../support/builders.ts';
import * as s from './scenarios.ts';

function assertFound(result: s.Reconciled, planted: s.Scenario['planted']): void {
  const reported = [...result.causes.keys()].sort();
  assert.deepEqual(reported, Object.keys(planted).sort(), 'causes reported are exactly the causes planted');
  for (const [cause, amount] of Object.entries(planted)) {
    const want = money(amount);
    const got = result.causes.get(cause)!;
    const off = got.minus(want).abs();
    assert.ok(off.lessThanOrEqualTo(want.abs().times('0.01')), `${cause}: found ${got.toFixed()} for planted ${want.toFixed()}`);
  }
  const total = [...result.causes.values()].reduce((a, b) => a.plus(b), new Decimal(0));
  assert.equal(total.toFixed(), result.variance.toFixed(), 'causes + unexplained = variance, exactly');
}

async function assertCellsTieOut(db: s.TestDb, runId: string): Promise<void> {
  const { rows } = await sql<{ off: string }>`
    select count(*)::text as off from run_variance_cell v
    left join (select provider, model, token_category, service_tier, day, sum(amount) as amount
               from run_variance_cell_cause where run_id = ${runId}::bigint group by 1, 2, 3, 4, 5) a
      using (provider, model, token_category, service_tier, day)
    where v.run_id = ${runId}::bigint and v.variance_amount <> coalesce(a.amount, 0)`.execute(db);
  assert.equal(rows[0]!.off, '0', 'in every cell, causes + unexplained = the cell variance');
}

describeEachBackend('variance causes', (store) => {
  before(async () => {
    const from = '2025-01-01T00:00:00Z';
    await insertRateCard(store(), 'causes-v1', [
      rateCardLine({ effective_from: from, unit_price: '2.50' }),
      rateCardLine({ effective_from: from, token_category: 'cached_input', unit_price: '1.25' }),
      rateCardLine({ effective_from: from, token_category: 'output', unit_price: '10.00' }),
      rateCardLine({ effective_from: from, service_tier: 'batch', unit_price: '1.25' }),
      rateCardLine({ effective_from: from, model: 'gpt-4o-mini-2024-07-18', unit_price: '0.15' }),
      rateCardLine({ effective_from: from, model: 'gpt-4o-mini-2024-07-18', token_category: 'output', unit_price: '0.60' }),
    ]);
  });

  const alone: [string, string, (month: string) => s.Scenario][] = [
    ['batch_tier', '2026-01', s.batchBilled],
    ['cache_pricing', '2026-02', s.cacheMispriced],
    ['invoice_discount', '2026-03', s.discounted],
    ['stale_price_card', '2026-04', s.staleCard],
    ['model_alias', '2026-05', s.aliased],
    ['fallback_drift', '2026-06', s.fallback],
    ['retry_billing', '2026-07', s.retried],
    ['streaming_partial', '2026-08', s.partialStreams],
    ['ingestion_gap', '2026-09', (m) => s.ingestionGap(m)],
    ['unpriced_model', '2026-10', s.unpriced],
    ['unmapped_invoice_line', '2026-11', s.unmapped],
    ['rounding', '2026-12', s.rounded],
    ['unexplained', '2025-01', s.unexplainedSurplus],
  ];
  for (const [cause, month, build] of alone) {
    test(`${cause} alone is found with its amount and nothing else is reported`, async () => {
      const scenario = s.combine(build(month), s.matched(month, '25', 8_000_000));
      const result = await reconcileAndCheck(store(), month, scenario);
      if (cause === 'model_alias') {
        const row = await store().db.selectFrom('run_variance_cause').selectAll().where('run_id', '=', result.runId).where('cause', '=', 'model_alias').executeTakeFirstOrThrow();
        assert.equal(row.quantity, '4000000');
        assert.equal(row.cells_affected, 2);
        assert.match(row.detail ?? '', /prod-gpt4o-eastus.*gpt-4o-2024-08-06/);
      }
    });
  }

  async function reconcileAndCheck(st: ReturnType<typeof store>, month: string, scenario: s.Scenario): Promise<s.Reconciled> {
    const result = await s.reconcileScenario(st, month, scenario);
    assertFound(result, scenario.planted);
    await assertCellsTieOut(st.db, result.runId);
    return result;
  }

  test('every cause planted in one month is found with its amount', async () => {
    const month = '2025-02';
    const scenario = s.combine(
      s.batchBilled(month),
      s.cacheMispriced(month),
      s.discounted(month),
      s.staleCard(month),
      s.aliased(month),
      s.fallback(month),
      s.retried(month),
      s.partialStreams(month),
      s.ingestionGap(month),
      s.unpriced(month),
      s.unmapped(month),
      s.rounded(month),
      s.unexplainedSurplus(month),
      s.matched(month, '25', 8_000_000),
    );
    await reconcileAndCheck(store(), month, scenario);
  });

  test('evidence: sample request ids in order, record counts, invoice lines, the rule and the window', async () => {
    const month = '2025-03';
    const result = await s.reconcileScenario(store(), month, s.combine(s.retried(month), s.ingestionGap(month), s.fallback(month)));
    const rows = await store().db.selectFrom('run_variance_cause').selectAll().where('run_id', '=', result.runId).orderBy('cause').execute();
    const retry = rows.find((r) => r.cause === 'retry_billing')!;
    assert.deepEqual(retry.sample_request_ids, [`retry-${month}-a`, `retry-${month}-b`, `retry-${month}-c`]);
    assert.equal(retry.record_count, '3');
    assert.equal(retry.invoice_line_ids.length, 1);
    assert.match(retry.rule, /failed attempts/);
    const gap = rows.find((r) => r.cause === 'ingestion_gap')!;
    assert.equal(gap.day, `${month}-14`);
    assert.match(gap.detail ?? '', new RegExp(`${month}-14 10:00–14:00`));
    assert.equal(gap.record_count, '20');
    const drift = rows.find((r) => r.cause === 'fallback_drift')!;
    assert.deepEqual(drift.sample_request_ids, [`fb-${month}-a`, `fb-${month}-b`]);
  });

  test('the seed example: $47,820.31 invoiced, $46,912.08 priced, $908.23 (1.90%) explained by its causes', async () => {
    const month = '2025-04';
    const planted = s.combine(
      // ingestion gap on the 14th: 20 records × 12.1096M tokens at $2.50/M = $605.48
      s.ingestionGap(month, 'anthropic', 12_109_600),
      s.partialStreams(month),
      s.cacheMispriced(month),
      s.batchBilled(month),
      s.retried(month),
      s.discounted(month),
      s.unexplainedSurplus(month),
    );
    const invoiced = planted.invoice.reduce((a, l) => a.plus(money(l.amount)), new Decimal(0));
    const priced = planted.cube.reduce((a, c) => a.plus(money(c.cost)), new Decimal(0));
    // the rest of the month's usage matches exactly: fill it up to the seed's totals
    const baseInvoice = money('47820.31').minus(invoiced);
    const basePriced = money('46912.08').minus(priced);
    assert.equal(baseInvoice.toFixed(), basePriced.toFixed(), 'the planted causes add up to $908.23');
    const scenario = s.combine(planted, s.matched(month, '27', baseInvoice.times(400_000).toNumber()));
    const result = await reconcileAndCheck(store(), month, scenario);
    assert.equal(result.invoiceTotal.toFixed(2), '47820.31');
    assert.equal(result.ledgerTotal.toFixed(2), '46912.08');
    assert.equal(result.variance.toFixed(2), '908.23');
    assert.equal(result.variance.dividedBy(result.invoiceTotal).times(100).toFixed(2), '1.90');
    assert.equal(result.causes.get('ingestion_gap')!.toFixed(2), '605.48');
    assert.equal(result.causes.get('unexplained')!.toFixed(2), '265.00');
  });
});
