import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { money } from '../../src/money.ts';
import { monthOverMonth, type WorkflowModelCost } from '../../src/allocate/mix-effects.ts';

const row = (model: string, requests: string, cost: string, workflow = 'proposal_draft', team = 'sales'): WorkflowModelCost => ({ team, workflow, model, requests: money(requests), cost: money(cost) });

describe('month over month', () => {
  test('a proposal workflow moving to a pricier model shows as model mix ($7,200 → $18,400)', () => {
    const [r] = monthOverMonth([row('gpt-4.1-mini', '80000', '7200')], [row('claude-sonnet-4-5', '80000', '18400')]);
    assert.deepEqual(
      { change: r!.change, volume: r!.volume_effect, price: r!.price_effect, mix: r!.mix_effect, driver: r!.driver, shift: r!.model_shift },
      { change: '11200.00', volume: '0.00', price: '0.00', mix: '11200.00', driver: 'model mix', shift: 'claude-sonnet-4-5 0% → 100%, gpt-4.1-mini 100% → 0%' },
    );
  });

  test('more requests at the same cost per request is volume', () => {
    const [r] = monthOverMonth([row('m', '1000', '100')], [row('m', '1500', '150')]);
    assert.deepEqual([r!.volume_effect, r!.price_effect, r!.mix_effect, r!.driver], ['50.00', '0.00', '0.00', 'volume']);
  });

  test('the same requests at a higher cost per request of the same model is price', () => {
    const [r] = monthOverMonth([row('m', '1000', '100')], [row('m', '1000', '80')]);
    assert.deepEqual([r!.volume_effect, r!.price_effect, r!.mix_effect, r!.driver], ['0.00', '-20.00', '0.00', 'price']);
  });

  test('a workflow new this month is all volume; one that stopped too', () => {
    const rows = monthOverMonth([row('m', '10', '5', 'old')], [row('m', '10', '7', 'new')]);
    assert.deepEqual(
      rows.map((r) => [r.workflow, r.change, r.volume_effect, r.driver]),
      [
        ['new', '7.00', '7.00', 'new this month'],
        ['old', '-5.00', '-5.00', 'stopped this month'],
      ],
    );
  });

  test('volume + price + mix = change to the cent, for any two months', () => {
    const side = fc.array(fc.record({ model: fc.constantFrom('a', 'b', 'c'), requests: fc.integer({ min: 0, max: 100_000 }), cost: fc.integer({ min: 0, max: 10_000_000 }) }), { maxLength: 4 });
    fc.assert(
      fc.property(side, side, (a, b) => {
        const toRows = (xs: typeof a) => xs.map((x) => row(x.model, String(x.requests), money(String(x.cost)).dividedBy(10_000).toFixed()));
        for (const r of monthOverMonth(toRows(a), toRows(b))) {
          assert.equal(money(r.volume_effect).plus(r.price_effect).plus(r.mix_effect).toFixed(2), r.change);
          assert.equal(money(r.current_cost).minus(r.previous_cost).toFixed(2), r.change);
        }
      }),
      { numRuns: 300 },
    );
  });
});
