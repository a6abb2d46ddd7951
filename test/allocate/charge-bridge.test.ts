import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chargeBridge, describeBridge } from '../../src/allocate/charge-bridge.ts';
import type { TeamFigures } from '../../src/allocate/allocate.ts';
import { money, ZERO } from '../../src/money.ts';

const rule = { provider: null, percent: '2', amount: '1.00' };
const figures = (over: Partial<TeamFigures>): TeamFigures => ({
  team: 't', costCenter: null, allocated: ZERO, pricedCost: ZERO, gross: ZERO, attributable: ZERO, varianceAbs: ZERO, ownBasis: ZERO,
  untaggedExposure: ZERO, unexplainedExposure: ZERO, chargedExact: ZERO, ownBilledBasis: ZERO, bridge: new Map(), ...over,
});

test('a team billed 20% above its usage with no cause behind it is flagged; the lines add up to the difference', () => {
  // 100.00 of priced usage, invoiced at 120.00, nothing explains it
  const b = chargeBridge(figures({ allocated: money('120.00'), chargedExact: money('120'), ownBilledBasis: money('100'), bridge: new Map([['unexplained', money('20')]]) }), money('100'), rule);
  assert.equal(b.difference.toFixed(2), '20.00');
  assert.equal(b.uncaused.toFixed(2), '20.00');
  assert.equal(b.flagged, true);
});

test('the same difference moved by a named cause is not flagged', () => {
  const b = chargeBridge(figures({ allocated: money('120.00'), chargedExact: money('120'), ownBilledBasis: money('100'), bridge: new Map([['cache_pricing', money('20')]]) }), money('100'), rule);
  assert.equal(b.flagged, false);
  assert.equal(describeBridge(b), 'cache_pricing 20.00');
});

test('usage the invoice never billed and the cents of rounding close the bridge exactly', () => {
  // 50.00 priced, 10.00 of it failed attempts never billed; 40.004 charged, rounded to 40.00
  const b = chargeBridge(figures({ allocated: money('40.00'), chargedExact: money('40.004'), ownBilledBasis: money('40'), bridge: new Map([['cell_causes', money('0.004')]]) }), money('50'), rule);
  assert.deepEqual(b.by.map((l) => [l.why, l.amount.toFixed()]), [['not_invoiced', '-10'], ['cell_causes', '0.004'], ['rounding', '-0.004']]);
  assert.equal(b.by.reduce((a, l) => a.plus(l.amount), ZERO).toFixed(), b.difference.toFixed());
  assert.equal(b.flagged, false);
});
