import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { computeVarianceCells } from '../../src/reconcile/variance-cells.ts';
import { explainVariance } from '../../src/explain/explain-variance.ts';
import { parsePeriod } from '../../src/period.ts';
import { parseSettings } from '../../src/settings.ts';
import { describeEachBackend } from '../support/db.ts';
import { insertInvoiceLines, invoiceLine } from '../support/builders.ts';
import { cubeRow, insertCubeRows, insertRun } from '../support/run-builders.ts';

const key = fc.record({
  model: fc.constantFrom('m1', 'm2'),
  token_category: fc.constantFrom('input', 'output', 'cached_input'),
  service_tier: fc.constantFrom('standard', 'batch'),
  day: fc.constantFrom('01', '02', '31'),
});

describeEachBackend('variance cells cover everything once', (store) => {
  test('property: every invoice usage line and every cube row lands in exactly one cell; causes tie out', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(key, fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 100_000 })), { maxLength: 12 }),
        fc.array(fc.tuple(key, fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 0, max: 100_000 }), fc.boolean()), { maxLength: 12 }),
        async (lines, rows) => {
          round += 1;
          // a month of its own per round, so rounds do not see each other's invoice lines
          const month = `${2000 + round}-01`;
          const provider = 'prop';
          await insertInvoiceLines(store(), lines.map(([k, q, cents]) => invoiceLine({ provider, model: k.model, token_category: k.token_category, service_tier: k.service_tier, charge_date: `${month}-${k.day}`, quantity: String(q), amount: (cents / 100).toFixed(2) })));
          const runId = await insertRun(store(), month);
          await insertCubeRows(store(), runId, rows.map(([k, q, cents, unpriced]) => cubeRow({ provider, model: k.model, token_category: k.token_category, service_tier: k.service_tier, day: `${month}-${k.day}`, quantity: q, cost: unpriced ? '0' : (cents / 100).toFixed(2), unpriced_reason: unpriced ? 'no_card_for_model' : null })));
          const period = parsePeriod(month);
          await computeVarianceCells(store().db, { runId, period, settings: parseSettings({}) });
          await explainVariance(store().db, { runId, period });
          const { rows: check } = await sql<{ line_ids: string; lines: string; inv_amount: string; cells_inv: string; cube_q: string; cells_q: string; cube_cost: string; cells_cost: string; variance: string; causes: string }>`
            select
              (select count(distinct x)::text from run_variance_cell v, unnest(v.invoice_line_ids) x where v.run_id = ${runId}::bigint) as line_ids,
              (select count(*)::text from run_variance_cell v, unnest(v.invoice_line_ids) x where v.run_id = ${runId}::bigint) as lines,
              (select coalesce(sum(amount), 0)::text from invoice_line where provider = ${provider} and charge_date between ${`${month}-01`}::date and ${`${month}-31`}::date) as inv_amount,
              (select coalesce(sum(invoice_amount), 0)::text from run_variance_cell where run_id = ${runId}::bigint) as cells_inv,
              (select coalesce(sum(quantity), 0)::text from run_cost_cube where run_id = ${runId}::bigint) as cube_q,
              (select coalesce(sum(ledger_quantity), 0)::text from run_variance_cell where run_id = ${runId}::bigint) as cells_q,
              (select coalesce(sum(cost), 0)::text from run_cost_cube where run_id = ${runId}::bigint) as cube_cost,
              (select coalesce(sum(ledger_amount), 0)::text from run_variance_cell where run_id = ${runId}::bigint) as cells_cost,
              (select coalesce(sum(variance_amount), 0)::text from run_variance_cell where run_id = ${runId}::bigint) as variance,
              (select coalesce(sum(amount), 0)::text from run_variance_cause where run_id = ${runId}::bigint) as causes`.execute(store().db);
          const c = check[0]!;
          assert.equal(c.lines, String(lines.length), 'each usage line in one cell');
          assert.equal(c.line_ids, String(lines.length), 'no usage line in two cells');
          assert.equal(Number(c.inv_amount), Number(c.cells_inv));
          assert.equal(Number(c.cube_q), Number(c.cells_q));
          assert.equal(Number(c.cube_cost), Number(c.cells_cost));
          assert.equal(Number(c.causes), Number(c.variance), 'causes + unexplained = variance');
          assert.equal(c.causes.replace(/0+$/, '').replace(/\.$/, ''), c.variance.replace(/0+$/, '').replace(/\.$/, ''));
        },
      ),
      { numRuns: 15 },
    );
  });
});
