import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Decimal, ZERO, sum } from '../../src/money.ts';
import { attributeVariance, findIngestionGaps, type CellInput } from '../../src/explain/attribute.ts';

const d = (n: number | string) => new Decimal(n);
const slice = (q = 0, r = 0) => ({ quantity: d(q), records: d(r) });

/** A cell as computeVarianceCells would write it: effects from quantities, amounts and the price. */
function cell(over: Partial<CellInput> & { qi: number; ai: string; qp: number; al: string; p: string | null }): CellInput {
  const qi = d(over.qi);
  const ai = d(over.ai);
  const al = d(over.al);
  const p = over.p === null ? null : d(over.p);
  const price = p === null ? ZERO : ai.minus(qi.times(p));
  const variance = ai.minus(al);
  return {
    provider: 'openai',
    model: 'm',
    token_category: 'input',
    service_tier: 'standard',
    day: '2026-05-01',
    invoice_quantity: qi,
    invoice_amount: ai,
    ledger_quantity: d(over.qp),
    ledger_amount: al,
    card_unit_price: p,
    volume_effect: variance.minus(price),
    price_effect: price,
    variance_amount: variance,
    invoice_line_ids: ['1'],
    priced_quantity: d(over.qp),
    unpriced: slice(),
    failed: slice(),
    partial: slice(),
    complete: slice(over.qp, 1),
    fallbacks: [],
    ...over,
  };
}

test('a batch shift pairs the two tier cells: each side at its own price, net the discount', () => {
  const { causes } = attributeVariance({
    cells: [
      cell({ service_tier: 'batch', qi: 4_000_000, ai: '5', qp: 0, al: '0', p: '0.00000125' }),
      cell({ qi: 0, ai: '0', qp: 4_000_000, al: '10', p: '0.0000025' }),
    ],
    providerLines: [],
    hourly: [],
    samples: [],
  });
  assert.deepEqual(causes.map((c) => [c.cause, c.amount.toFixed(), c.quantity?.toFixed(), c.cells_affected]), [['batch_tier', '-5', '4000000', 2]]);
});

test('an ingestion gap names its window; weekend-like dips to 45% are not gaps', () => {
  const hourly = [];
  for (let day = 1; day <= 7; day++) {
    for (let h = 0; h < 24; h++) {
      const records = day === 3 && h >= 2 && h < 5 ? 0 : day === 6 ? 9 : 20;
      hourly.push({ provider: 'openai', hour: `2026-05-0${day}T${String(h).padStart(2, '0')}`, records });
    }
  }
  const gaps = findIngestionGaps(hourly);
  assert.equal(gaps.length, 1);
  assert.equal(gaps[0]!.window, '2026-05-03 02:00–05:00');
  assert.equal(gaps[0]!.missingRecords, 60);
});

const cellArb = fc
  .record({
    tier: fc.constantFrom('standard', 'batch'),
    category: fc.constantFrom('input', 'cached_input', 'cache_write_5m', 'cache_write_1h', 'output'),
    model: fc.constantFrom('a', 'b', 'alias-a'),
    day: fc.constantFrom('2026-05-01', '2026-05-02'),
    qi: fc.integer({ min: 0, max: 5_000_000 }),
    cents: fc.integer({ min: 0, max: 2_000_000 }),
    qp: fc.integer({ min: 0, max: 5_000_000 }),
    micro: fc.integer({ min: 0, max: 20 }),
    hasPrice: fc.boolean(),
    failed: fc.integer({ min: 0, max: 1_000_000 }),
    partial: fc.integer({ min: 0, max: 5 }),
    unpriced: fc.integer({ min: 0, max: 1_000_000 }),
  })
  .map((r) => {
    const p = r.hasPrice ? d(r.micro).dividedBy(1_000_000) : null;
    const al = p === null ? '0' : d(r.qp).times(p).toFixed();
    return cell({
      model: r.model,
      service_tier: r.tier,
      token_category: r.category,
      day: r.day,
      qi: r.qi,
      ai: d(r.cents).dividedBy(100).toFixed(),
      qp: r.qp,
      al,
      p: p === null ? null : p.toFixed(),
      failed: slice(Math.min(r.failed, r.qp), 2),
      partial: slice(0, r.partial),
      unpriced: slice(r.unpriced, 3),
      fallbacks: r.model === 'b' ? [{ requested_model: 'a', quantity: d(r.qp), records: d(1) }] : [],
    });
  });

test('property: causes + unexplained equal the variance exactly, in every cell and in total', () => {
  fc.assert(
    fc.property(fc.uniqueArray(cellArb, { selector: (c) => `${c.model}|${c.token_category}|${c.service_tier}|${c.day}`, maxLength: 30 }), fc.integer({ min: -5000, max: 0 }), (cells, credit) => {
      const providerLines = credit === 0 ? [] : [{ provider: 'openai', kind: 'credit' as const, amount: d(credit).dividedBy(100), quantity: ZERO, invoice_line_ids: ['9'], detail: 'credit' }];
      const { causes, cellCauses } = attributeVariance({ cells, providerLines, hourly: [], samples: [] });
      const variance = sum(cells.map((c) => c.variance_amount)).plus(providerLines[0]?.amount ?? ZERO);
      assert.equal(sum(causes.map((c) => c.amount)).toFixed(), variance.toFixed());
      for (const c of cells) {
        const mine = cellCauses.filter((a) => a.model === c.model && a.token_category === c.token_category && a.service_tier === c.service_tier && a.day === c.day);
        assert.equal(sum(mine.map((a) => a.amount)).toFixed(), c.variance_amount.toFixed());
      }
    }),
    { numRuns: 300 },
  );
});
