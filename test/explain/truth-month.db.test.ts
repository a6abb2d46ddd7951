import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { describeOnBothEngines } from '../support/db.ts';
import { insertInvoiceLines, insertLedgerRecords, insertRateCard } from '../support/builders.ts';
import { runPeriod } from '../../src/run/run-period.ts';
import { parsePeriod } from '../../src/period.ts';
import { defaultPolicy } from '../../src/allocate/policy.ts';
import { parseSettings } from '../../src/settings.ts';
import { createLogger } from '../../src/log.ts';
import { Decimal } from '../../src/money.ts';
import { TRUTH_PERIOD, truthMonth } from '../e2e/truth-month.ts';

// The truth month (test/e2e/truth-month.ts): every planted fault has a known amount and a known
// owner. recon must find each cause within 1% (with a $1 floor), leave a residual under 0.5% of
// the variance, and charge each owner what it caused within 0.5% of the invoice, where
// misallocated = ½ Σ over owners of |charged − caused|.

const log = createLogger({ logFormat: 'json', logLevel: 'error' });

describeOnBothEngines('the truth month', (store) => {
  test('each planted cause within 1%, residual under 0.5% of the variance, misallocation under 0.5% of the invoice, rerun identical', async () => {
    const month = truthMonth();
    await insertRateCard(store(), 'truth', month.card);
    await insertLedgerRecords(store(), month.records);
    await insertInvoiceLines(store(), month.invoice);
    const run = () => runPeriod(store(), { period: parsePeriod(TRUTH_PERIOD), trigger: 'manual', settings: parseSettings({}), policy: defaultPolicy, log });
    const first = await run();
    const runId = first.run_id;

    const { rows: causes } = await sql<{ cause: string; amount: string }>`
      select cause, sum(amount)::text as amount from run_variance_cause where run_id = ${runId}::bigint group by cause order by cause`.execute(store().db);
    const found = new Map(causes.map((c) => [c.cause, new Decimal(c.amount)]));
    const report = causes.map((c) => `${c.cause} ${new Decimal(c.amount).toFixed(2)} (truth ${(month.cause.get(c.cause) ?? new Decimal(0)).toFixed(2)})`).join('; ');
    for (const [name, truth] of month.cause) {
      if (name === 'rounding') continue;
      const got = found.get(name) ?? new Decimal(0);
      const allowed = Decimal.max(truth.abs().times('0.01'), 1);
      assert.ok(got.minus(truth).abs().lte(allowed), `${name}: found ${got.toFixed(2)}, truth ${truth.toFixed(2)} — ${report}`);
    }
    const variance = [...month.cause.values()].reduce((a, b) => a.plus(b), new Decimal(0));
    const residual = found.get('unexplained') ?? new Decimal(0);
    assert.ok(residual.abs().lte(variance.abs().times('0.005')), `residual ${residual.toFixed(2)} of variance ${variance.toFixed(2)} — ${report}`);

    const { rows } = await sql<{ team: string; amount: string }>`
      select team, sum(amount)::text as amount from run_allocation where run_id = ${runId}::bigint group by team order by team`.execute(store().db);
    const charged = new Map(rows.map((r) => [r.team, new Decimal(r.amount)]));
    const allocated = [...charged.values()].reduce((a, b) => a.plus(b), new Decimal(0));
    assert.equal(allocated.toFixed(2), month.invoiceTotal.toFixed(2), 'allocations sum to the invoice to the cent');
    const owners = new Set([...charged.keys(), ...month.caused.keys()]);
    let misallocated = new Decimal(0);
    for (const o of owners) misallocated = misallocated.plus((charged.get(o) ?? new Decimal(0)).minus(month.caused.get(o) ?? 0).abs());
    misallocated = misallocated.div(2);
    const detail = [...owners].sort().map((o) => `${o}: charged ${(charged.get(o) ?? new Decimal(0)).toFixed(2)}, caused ${(month.caused.get(o) ?? new Decimal(0)).toFixed(2)}`).join('; ');
    assert.ok(misallocated.lte(month.invoiceTotal.times('0.005')), `misallocated ${misallocated.toFixed(2)} of ${month.invoiceTotal.toFixed(2)} — ${detail}`);

    const again = await run();
    assert.equal(again.no_change, true, 'a rerun gives identical numbers');
  });
});
