import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { describeEachBackend } from '../support/db.ts';
import { insertInvoiceLines, insertLedgerRecords, invoiceLine, ledgerRecord } from '../support/builders.ts';
import { runPeriod, type RunOutcome } from '../../src/run/run-period.ts';
import { closePeriod } from '../../src/run/close-period.ts';
import { diffRuns } from '../../src/run/diff.ts';
import { selectCurrentRun, selectPeriod, selectRun } from '../../src/run/queries.ts';
import { parsePeriod } from '../../src/period.ts';
import { parseSettings } from '../../src/settings.ts';
import { defaultPolicy } from '../../src/allocate/policy.ts';
import { createLogger } from '../../src/log.ts';
import { UserError } from '../../src/command-context.ts';
import { failingReconcile, standInReconcile } from './stand-in.ts';

const period = parsePeriod('2026-05');
const log = createLogger({ logFormat: 'json', logLevel: 'error' });
const settings = parseSettings({});

describeEachBackend('run lifecycle', (store) => {
  const run = (extra: Partial<Parameters<typeof runPeriod>[1]> = {}) =>
    runPeriod(store(), { period, trigger: 'manual', settings, policy: defaultPolicy, log, reconcile: standInReconcile, ...extra });

  let first: RunOutcome;

  test('a run records its inputs, results hash and summary, and becomes current', async () => {
    await insertLedgerRecords(store(), [
      ledgerRecord({ team: 'support', input_tokens: 1500 }),
      ledgerRecord({ team: 'sales', input_tokens: 2500 }),
      ledgerRecord({ team: null, input_tokens: 1000 }),
    ]);
    await insertInvoiceLines(store(), [invoiceLine({ amount: '5.25' })]);
    first = await run();
    assert.equal(first.status, 'succeeded');
    assert.equal(first.invoice_total, '5.25');
    assert.equal(first.ledger_total, '5.00');
    assert.equal(first.variance, '0.25');
    assert.equal(first.variance_pct, '4.76');
    assert.deepEqual(first.allocations, [
      { team: 'sales', amount: '2.50' },
      { team: 'support', amount: '1.50' },
      { team: 'untagged', amount: '1.00' },
    ]);
    assert.equal(first.unallocated, '0.25');
    assert.equal(first.counts.records, '3');
    assert.equal(first.counts.untagged, '1');
    assert.equal(first.previous_run_id, null);
    assert.equal(first.no_change, false);
    const row = await selectRun(store().db, first.run_id);
    assert.equal(row?.status, 'succeeded');
    assert.match(row!.inputs_hash!, /^[0-9a-f]{64}$/);
    assert.equal(row!.results_hash, first.results_hash);
    assert.equal((row!.inputs as { files: unknown[] }).files.length, 2);
    assert.equal((await selectCurrentRun(store().db, period))?.id, first.run_id);
  });

  test('a rerun with no new input reports no change and identical numbers', async () => {
    const again = await run();
    assert.notEqual(again.run_id, first.run_id);
    assert.equal(again.no_change, true);
    assert.equal(again.previous_run_id, first.run_id);
    assert.equal(again.results_hash, first.results_hash);
    assert.equal(again.inputs_hash, first.inputs_hash);
    const strip = ({ run_id, previous_run_id, no_change, ...rest }: RunOutcome) => rest;
    assert.deepEqual(strip(again), strip(first));
  });

  test('a rerun after a late ledger file shows the diff: totals, team and the added file', async () => {
    const before = (await selectCurrentRun(store().db, period))!;
    await insertLedgerRecords(store(), [ledgerRecord({ team: 'sales', input_tokens: 4000 })], 'late-ledger');
    const after = await run();
    assert.equal(after.no_change, false);
    assert.notEqual(after.inputs_hash, first.inputs_hash);
    assert.equal(after.ledger_total, '9.00');
    const diff = diffRuns(
      { id: before.id, summary: before.summary as never, inputs: before.inputs as never },
      { id: after.run_id, summary: after, inputs: (await selectRun(store().db, after.run_id))!.inputs as never },
    );
    assert.equal(diff.no_change, false);
    assert.deepEqual(diff.totals.ledger_total, { from: '5.00', to: '9.00', change: '4.00' });
    assert.deepEqual(diff.totals.variance, { from: '0.25', to: '-3.75', change: '-4.00' });
    assert.deepEqual(diff.teams, [{ team: 'sales', from: '2.50', to: '6.50', change: '4.00' }]);
    assert.equal(diff.inputs.files_added.length, 1);
    assert.match(diff.inputs.files_added[0]!.path, /late-ledger/);
    assert.deepEqual(diff.inputs.card_versions_added, []);
    assert.equal(diff.inputs.policy_changed, false);
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

  test('a closed period refuses a plain rerun and accepts --reopen with a reason, recorded', async () => {
    const current = (await selectCurrentRun(store().db, period))!;
    const closed = await closePeriod(store().db, period);
    assert.deepEqual(closed, { period, status: 'closed', closed_by_run: current.id, already_closed: false });
    assert.equal((await closePeriod(store().db, period)).already_closed, true);
    await assert.rejects(run(), (error: Error) => error instanceof UserError && /is closed/.test(error.message) && /--reopen --reason/.test((error as UserError).hint ?? ''));
    assert.equal((await selectCurrentRun(store().db, period))?.id, current.id, 'the refused rerun created no run');
    const reopened = await run({ reopen: { reason: 'late Anthropic credit note' } });
    assert.equal(reopened.reopen_reason, 'late Anthropic credit note');
    const periodRow = await selectPeriod(store().db, period);
    assert.equal(periodRow?.status, 'closed');
    assert.equal(periodRow?.reopen_reason, 'late Anthropic credit note');
    assert.equal(periodRow?.closed_by_run, reopened.run_id);
    assert.ok(periodRow?.reopened_at);
    assert.equal((await selectRun(store().db, reopened.run_id))?.reopen_reason, 'late Anthropic credit note');
  });

  test('--reopen of an open period is refused', async () => {
    await assert.rejects(
      runPeriod(store(), { period: parsePeriod('2026-04'), trigger: 'manual', settings, policy: defaultPolicy, log, reconcile: standInReconcile, reopen: { reason: 'x' } }),
      (error: Error) => error instanceof UserError && /not closed/.test(error.message),
    );
  });

  test('closing a period without a succeeded run says to run it first', async () => {
    await assert.rejects(closePeriod(store().db, parsePeriod('2025-12')), (error: Error) => error instanceof UserError && /recon run --period 2025-12/.test((error as UserError).hint ?? ''));
  });
});
