import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { money } from '../../src/money.ts';
import { cellStatus, cellStatusSql } from '../../src/reconcile/tolerance.ts';
import { openTestStore, type TestStore } from '../support/db.ts';

// The tolerance rule has two forms: cellStatus (TypeScript, used by the charge bridge) and
// cellStatusSql (used by the variance cells). Hand-worked cases pin the rule; a property ties the
// two forms on random cells. The SQL is the same on both engines, so PGlite answers.

describe('tolerance status: hand-worked cases and the SQL form agree [pglite]', () => {
  let store: TestStore;
  before(async () => {
    store = await openTestStore('pglite');
  });
  after(async () => {
    await store?.close();
  });
  const rule = { provider: null, percent: '2', amount: '1.00' };
  const inSql = async (variance: string, invoice: string, amount: string, percent: string) => {
    const { rows } = await sql<{ s: string }>`select ${cellStatusSql(sql`${variance}::numeric`, sql`${invoice}::numeric`, sql`${amount}::numeric`, sql`${percent}::numeric`)} as s`.execute(store.db);
    return rows[0]!.s;
  };

  test('a $0.40 gap is noise at any percent; $5 on $10,000 is within 2%; $45 short on $1,000 is a breach', async () => {
    const cases: Array<[string, string, string]> = [
      ['0.40', '1.00', 'ok'],
      ['5.00', '10000.00', 'ok'],
      ['1.50', '50.00', 'review'], // above $1 and above 2% ($1.00), not above twice both
      ['30.00', '1000.00', 'review'], // above $1 and 2% ($20), not above 4% ($40)
      ['-45.00', '1000.00', 'breach'], // above $2 and 4% ($40): a shortfall counts the same
    ];
    for (const [variance, invoice, expected] of cases) {
      assert.equal(cellStatus(money(variance), money(invoice), rule), expected, `TS ${variance} on ${invoice}`);
      assert.equal(await inSql(variance, invoice, rule.amount, rule.percent), expected, `SQL ${variance} on ${invoice}`);
    }
  });

  test('property: the SQL form gives the TypeScript form\'s status on random cells', async () => {
    const cents = fc.integer({ min: -5_000_000, max: 5_000_000 }).map((c) => (c / 100).toFixed(2));
    await fc.assert(
      fc.asyncProperty(cents, cents, fc.integer({ min: 0, max: 500 }).map((c) => (c / 100).toFixed(2)), fc.integer({ min: 0, max: 20 }).map(String), async (variance, invoice, amount, percent) => {
        const expected = cellStatus(money(variance), money(invoice), { provider: null, amount, percent });
        assert.equal(await inSql(variance, invoice, amount, percent), expected);
      }),
      { numRuns: 200 },
    );
  });
});
