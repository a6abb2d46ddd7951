import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Decimal } from 'decimal.js';
import { splitLines } from '../../src/export/split.ts';

const cents = (n: number) => new Decimal(n).dividedBy(100);

// Both margins hold for any month: every line's parts add back to the line (FOCUS: allocated
// charges add back to the origin charge), every owner's parts add back to the owner's allocated
// amount, and every line's ratios sum to exactly 1. Signed amounts: invoices carry credits and
// the allocation carries negative variance rows.
test('split lines over owners: both margins exact, ratios sum to 1', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: -500, max: 100_000 }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 8 }),
      (owners, lineWeights) => {
        const total = owners.reduce((a, b) => a + b, 0);
        fc.pre(total !== 0);
        // cut the owners' total into lines by the weights (the last line takes what is left)
        const weightSum = lineWeights.reduce((a, b) => a + b, 0);
        const lines = lineWeights.map((w) => Math.trunc((total * w) / weightSum));
        lines[lines.length - 1]! += total - lines.reduce((a, b) => a + b, 0);
        const result = splitLines(lines.map(cents), owners.map(cents), owners.map((_, j) => `o${j}`), 2);
        result.parts.forEach((row, i) => {
          assert.equal(row.reduce((s, p) => s.plus(p), new Decimal(0)).toFixed(2), cents(lines[i]!).toFixed(2));
          assert.equal(result.ratios[i]!.reduce((s, r) => s.plus(r), new Decimal(0)).toFixed(), '1');
          for (const p of row) assert.ok(p.times(100).isInteger());
        });
        owners.forEach((o, j) => {
          assert.equal(result.parts.reduce((s, row) => s.plus(row[j]!), new Decimal(0)).toFixed(2), cents(o).toFixed(2));
        });
      },
    ),
    { numRuns: 300 },
  );
});

test('one line over two owners, by hand: 10.00 over 1:2 is 3.33 and 6.67, ratios 0.333 and 0.667', () => {
  const r = splitLines([new Decimal('10.00')], [new Decimal('1.00'), new Decimal('2.00')], ['a', 'b'], 2);
  assert.deepEqual(r.parts[0]!.map((p) => p.toFixed(2)), ['3.33', '6.67']);
  assert.deepEqual(r.ratios[0]!.map((p) => p.toFixed()), ['0.333', '0.667']);
});
