import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeVarianceCells } from '../../src/reconcile/variance-cells.ts';
import { parsePeriod } from '../../src/period.ts';
import { parseSettings } from '../../src/settings.ts';
import { describeEachBackend } from '../support/db.ts';
import { insertInvoiceLines, insertRateCard, invoiceLine, rateCardLine } from '../support/builders.ts';
import { cubeRow, insertCubeRows, insertRun } from '../support/run-builders.ts';

const period = parsePeriod('2026-05');

describeEachBackend('variance cells', (store) => {
  test('full outer join: matched, invoice-only and ledger-only cells with effects and status', async () => {
    const db = store().db;
    await insertRateCard(store(), 'cells-v1', [rateCardLine({ service_tier: 'batch', unit_price: '1.25' })]);
    await insertInvoiceLines(store(), [
      // matched: invoice 1,000,000 input tokens at $2.60/M, ledger 900,000 at $2.50/M
      invoiceLine({ charge_date: '2026-05-03', quantity: '600000', amount: '1.56' }),
      invoiceLine({ charge_date: '2026-05-03', quantity: '400000', amount: '1.04' }),
      // invoice only, priced from the card in effect (batch $1.25/M)
      invoiceLine({ charge_date: '2026-05-04', service_tier: 'batch', quantity: '2000000', amount: '2.50' }),
      // other line types, unmapped lines and other periods are not cells
      invoiceLine({ charge_date: '2026-05-04', line_type: 'credit', model: null, token_category: null, quantity: null, amount: '-5.00' }),
      invoiceLine({ charge_date: '2026-05-04', model: null, token_category: null, amount: '3.00' }),
      invoiceLine({ charge_date: '2026-06-01', quantity: '1', amount: '9.99' }),
    ]);
    const runId = await insertRun(store(), '2026-05');
    await insertCubeRows(store(), runId, [
      cubeRow({ day: '2026-05-03', quantity: 500000, cost: '1.25', records: 5 }),
      cubeRow({ day: '2026-05-03', quantity: 400000, cost: '1.00', records: 4, team: 'sales' }),
      // ledger only, plus an unpriced row that counts in quantity without an amount
      cubeRow({ day: '2026-05-05', token_category: 'output', quantity: 1000000, cost: '10.00' }),
      cubeRow({ day: '2026-05-05', token_category: 'output', quantity: 300000, cost: '0', unpriced_reason: 'no_card_for_model' }),
    ]);
    await computeVarianceCells(db, { runId, period, settings: parseSettings({}) });
    const cells = await db.selectFrom('run_variance_cell').selectAll().where('run_id', '=', runId).orderBy('day').execute();
    assert.equal(cells.length, 3);
    const [matched, invoiceOnly, ledgerOnly] = cells;
    assert.equal(matched!.invoice_quantity, '1000000');
    assert.equal(matched!.invoice_amount, '2.60');
    assert.equal(matched!.ledger_quantity, '900000');
    assert.equal(matched!.ledger_amount, '2.25');
    assert.equal(Number(matched!.card_unit_price), 0.0000025);
    assert.equal(Number(matched!.volume_effect), 0.25);
    assert.equal(Number(matched!.price_effect), 0.1);
    assert.equal(matched!.variance_amount, '0.35');
    assert.equal(matched!.quantity_variance, '100000');
    assert.equal(matched!.status, 'ok');
    assert.deepEqual(matched!.invoice_line_ids.map(String).length, 2);

    assert.equal(invoiceOnly!.service_tier, 'batch');
    assert.equal(Number(invoiceOnly!.card_unit_price), 0.00000125);
    assert.equal(Number(invoiceOnly!.price_effect), 0);
    assert.equal(Number(invoiceOnly!.volume_effect), 2.5);
    assert.equal(invoiceOnly!.status, 'breach');

    assert.equal(ledgerOnly!.ledger_quantity, '1300000');
    assert.equal(ledgerOnly!.ledger_amount, '10.00');
    assert.equal(Number(ledgerOnly!.variance_amount), -10);
    assert.equal(ledgerOnly!.variance_pct, null);
    assert.equal(ledgerOnly!.status, 'breach');
  });

  test('per-provider tolerance: review above both thresholds, breach above twice both', async () => {
    const db = store().db;
    await insertInvoiceLines(store(), [
      invoiceLine({ provider: 'anthropic', model: 'claude-x', charge_date: '2026-05-20', quantity: '1000000', amount: '103.00' }),
      invoiceLine({ provider: 'anthropic', model: 'claude-x', token_category: 'output', charge_date: '2026-05-20', quantity: '1000000', amount: '106.00' }),
    ]);
    const runId = await insertRun(store(), '2026-05');
    await insertCubeRows(store(), runId, [
      cubeRow({ provider: 'anthropic', model: 'claude-x', day: '2026-05-20', quantity: 1000000, cost: '100.00' }),
      cubeRow({ provider: 'anthropic', model: 'claude-x', token_category: 'output', day: '2026-05-20', quantity: 1000000, cost: '100.00' }),
    ]);
    const settings = parseSettings({ tolerance: { providers: { anthropic: { percent: '2.5', amount: '1.00' } } } });
    await computeVarianceCells(db, { runId, period, settings });
    const cells = await db.selectFrom('run_variance_cell').select(['token_category', 'status', 'variance_pct']).where('run_id', '=', runId).where('provider', '=', 'anthropic').orderBy('token_category').execute();
    // $3 on $103 = 2.91% > 2.5% and > $1, not above 5%: review; $6 on $106 = 5.66%: breach
    assert.deepEqual(cells.map((c) => [c.token_category, c.status]), [['input', 'review'], ['output', 'breach']]);
  });
});
