import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEachBackend } from '../support/db.ts';
import { cubeRow, insertCubeRows, insertRun } from '../support/run-builders.ts';
import { monthOverMonthSheet } from '../../src/allocate/month-over-month.ts';

describeEachBackend('monthOverMonthSheet', (store) => {
  test('against the previous period’s current run: the proposal workflow’s model switch is model mix', async () => {
    const s = store();
    const april = await insertRun(s, '2026-04');
    const request = { token_category: 'request', team: 'sales', workflow: 'proposal_draft' };
    await insertCubeRows(s, april, [cubeRow({ ...request, day: '2026-04-10', model: 'gpt-4.1-mini', records: 80_000, quantity: 80_000, cost: '7200' })]);
    await insertRun(s, '2026-04', { status: 'failed' });
    const may = await insertRun(s, '2026-05');
    await insertCubeRows(s, may, [
      cubeRow({ ...request, day: '2026-05-10', model: 'claude-sonnet-4-5', records: 80_000, quantity: 80_000, cost: '18400' }),
      cubeRow({ ...request, day: '2026-05-10', team: null, workflow: null, model: 'gpt-4.1-mini', records: 10, quantity: 10, cost: '1' }),
    ]);
    const sheet = await monthOverMonthSheet(s.db, may);
    assert.equal(sheet.name, 'Month over month');
    assert.match(sheet.notes!.join(' '), new RegExp(`run ${april}`));
    const rows = sheet.rows as Record<string, unknown>[];
    assert.deepEqual(
      rows.map((r) => [r.team, r.workflow, r.previous_cost, r.current_cost, r.volume_effect, r.price_effect, r.mix_effect, r.driver]),
      [
        ['(untagged)', '(no workflow)', '0.00', '1.00', '1.00', '0.00', '0.00', 'new this month'],
        ['sales', 'proposal_draft', '7200.00', '18400.00', '0.00', '0.00', '11200.00', 'model mix'],
      ],
    );
    assert.deepEqual(sheet.columns.filter((c) => c.total).map((c) => c.key).slice(0, 6), ['previous_cost', 'current_cost', 'change', 'volume_effect', 'price_effect', 'mix_effect']);
  });
});
