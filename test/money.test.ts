import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { allocateLargestRemainder, money, sum, Decimal } from '../src/money.ts';

test('money refuses anything but decimal text', () => {
  assert.equal(money('47820.31').minus(money('46912.08')).toFixed(2), '908.23');
  assert.throws(() => money('1e3'));
  assert.throws(() => money('abc'));
});

test('largest remainder ties out and breaks ties by key', () => {
  assert.deepEqual(allocateLargestRemainder(money('1.00'), [money('1'), money('1'), money('1')], ['b', 'a', 'c']).map(String), ['0.33', '0.34', '0.33']);
  assert.deepEqual(allocateLargestRemainder(money('-0.05'), [money('1'), money('1')], ['a', 'b']).map(String), ['-0.03', '-0.02']);
});

test('property: parts always sum to the total', () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: -10_000_000n, max: 10_000_000n }),
      fc.array(fc.nat({ max: 1_000_000 }), { minLength: 1, maxLength: 20 }).filter((ws) => ws.some((w) => w > 0)),
      (cents, ws) => {
        const total = new Decimal(cents.toString()).dividedBy(100);
        const parts = allocateLargestRemainder(total, ws.map((w) => new Decimal(w)), ws.map((_, i) => String(i).padStart(3, '0')));
        return sum(parts).equals(total) && parts.every((p) => p.equals(p.toDecimalPlaces(2)));
      },
    ),
  );
});
