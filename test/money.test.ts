import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { largestRemainder, money, roundToCents, sum, Decimal } from '../src/money.ts';

test('money refuses anything but decimal text', () => {
  assert.equal(money('47820.31').minus(money('46912.08')).toFixed(2), '908.23');
  assert.throws(() => money('1e3'));
  assert.throws(() => money('abc'));
});

test('largest remainder: hand-worked cases (ties by key, signed amounts, credits)', () => {
  const third = new Decimal(1).dividedBy(3);
  // 33 + 33 + 33 = 99 cents floored, the cent left goes to the tie's smallest key, 'a'
  assert.deepEqual(roundToCents([third, third, third], ['b', 'a', 'c'], money('1.00')).map(String), ['0.33', '0.34', '0.33']);
  // -2.5 cents each floor to -3: one cent back to the smaller key
  assert.deepEqual(roundToCents([money('-0.025'), money('-0.025')], ['a', 'b'], money('-0.05')).map(String), ['-0.02', '-0.03']);
  // a usage line and a credit: floors 1000 and -201 (remainders 0.5, 0.6): the cent goes to the credit
  assert.deepEqual(roundToCents([money('10.005'), money('-2.004')], ['usage', 'credit'], money('8.00')).map((d) => d.toFixed(2)), ['10.00', '-2.00']);
  // FOCUS ratios: six decimals, summing to exactly 1
  assert.deepEqual(largestRemainder([third, third, third], ['x', 'y', 'z'], new Decimal(1), 6).map(String), ['0.333334', '0.333333', '0.333333']);
  assert.throws(() => roundToCents([money('1.00')], ['a'], money('3.00')), /cannot round/);
});

test('property: parts sum exactly to the half-up rounded total and each is within a cent of its exact amount', () => {
  fc.assert(
    fc.property(fc.array(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), { minLength: 1, maxLength: 20 }), (micros) => {
      const exact = micros.map((m) => new Decimal(m.toString()).dividedBy(1_000_000));
      const target = sum(exact).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
      let parts: Decimal[];
      try {
        parts = roundToCents(exact, exact.map((_, i) => String(i).padStart(3, '0')), target);
      } catch {
        // half-up of the sum can sit below the sum of the floors only when it is out of reach; then refusing is right
        return sum(exact.map((x) => x.times(100).floor())).greaterThan(target.times(100));
      }
      return sum(parts).equals(target) && parts.every((p, i) => p.equals(p.toDecimalPlaces(2)) && p.minus(exact[i]!).abs().lessThan('0.01'));
    }),
  );
});
