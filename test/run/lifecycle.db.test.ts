import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { describeOnBothEngines } from '../support/db.ts';
import { insertInvoiceLines, insertLedgerRecords, insertRateCard, invoiceLine, ledgerRecord, rateCardLine } from '../support/builders.ts';
import { runPeriod } from '../../src/run/run-period.ts';
import { closePeriod } from '../../src/run/close-period.ts';
import { selectCurrentRun, selectRun } from '../../src/run/queries.ts';
import { parsePeriod } from '../../src/period.ts';
import { parseSettings } from '../../src/settings.ts';
import { defaultPolicy } from '../../src/allocate/policy.ts';
import { createLogger } from '../../src/log.ts';
import { UserError } from '../../src/command-context.ts';
import { failingReconcile } from './stand-in.ts';

const period = parsePeriod('2026-05');
const log = createLogger({ logFormat: 'json', logLevel: 'error' });
const settings = parseSettings({});

describeOnBothEngines('run lifecycle', (store) => {
  const run = (extra: Partial<Parameters<typeof runPeriod>[1]> = {}) =>
    runPeriod(store(), { period, trigger: 'manual', settings, policy: defaultPolicy, log, ...extra });

  // The no-change rerun, the late-file diff, kill -9, close and reopen run on the real pipeline
  // through the CLI in operations.db.test.ts; these are the cases only a stand-in can force.
  test('a first run on the real pipeline becomes current', async () => {
    await insertRateCard(store(), 'card-a', [rateCardLine({ unit_price: '2.50' }), rateCardLine({ token_category: 'output', unit_price: '10.00' })]);
    await insertLedgerRecords(store(), [ledgerRecord({ team: 'support', input_tokens: 1_000_000, output_tokens: 0 }), ledgerRecord({ team: 'sales', input_tokens: 2_000_000, output_tokens: 0 })]);
    await insertInvoiceLines(store(), [invoiceLine({ quantity: '3000000', amount: '7.50' })]);
    const first = await run();
    assert.equal(first.ledger_total, '7.50');
    assert.equal(first.variance, '0.00');
    assert.deepEqual(first.allocations, [
      { team: 'sales', amount: '5.00' },
      { team: 'support', amount: '2.50' },
    ]);
    const row = await selectRun(store().db, first.run_id);
    assert.match(row!.inputs_hash!, /^[0-9a-f]{64}$/);
    assert.equal((row!.inputs as { files: unknown[]; card_versions: unknown[] }).card_versions.length, 1);
    assert.equal((await selectCurrentRun(store().db, period))?.id, first.run_id);
  });

  test('a failing stage marks the run failed and leaves the previous run current', async () => {
    const current = (await selectCurrentRun(store().db, period))!;
    await assert.rejects(run({ reconcile: failingReconcile }), /variance stage exploded/);
    const { rows } = await sql<{ id: string; status: string; error: string }>`select id, status, error from run order by id desc limit 1`.execute(store().db);
    assert.equal(rows[0]!.status, 'failed');
    assert.equal(rows[0]!.error, 'variance stage exploded');
    const cube = await sql<{ n: string }>`select count(*) as n from run_cost_cube where run_id = ${rows[0]!.id}::bigint`.execute(store().db);
    assert.equal(cube.rows[0]!.n, '0');
    assert.equal((await selectCurrentRun(store().db, period))?.id, current.id);
  });

  test('a run left running by a dead process is marked failed on the next start', async () => {
    // A process that died holds no advisory lock: its row is all that is left.
    const { rows } = await sql<{ id: string }>`insert into run (period, status, pid, host) values (${period}, 'running', 999999, 'gone-host') returning id`.execute(store().db);
    const next = await run();
    assert.equal(next.status, 'succeeded');
    const dead = await selectRun(store().db, rows[0]!.id);
    assert.equal(dead?.status, 'failed');
    assert.match(dead!.error!, /pid 999999 on gone-host\) stopped before it finished/);
  });

  test('--reopen of an open period is refused', async () => {
    await assert.rejects(
      runPeriod(store(), { period: parsePeriod('2026-04'), trigger: 'manual', settings, policy: defaultPolicy, log, reopen: { reason: 'x' } }),
      (error: Error) => error instanceof UserError && /not closed/.test(error.message),
    );
  });

  test('closing a period without a succeeded run says to run it first', async () => {
    await assert.rejects(closePeriod(store().db, parsePeriod('2025-12')), (error: Error) => error instanceof UserError && /recon run --period 2025-12/.test((error as UserError).hint ?? ''));
  });
});
