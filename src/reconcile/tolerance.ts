import { sql, type RawBuilder } from 'kysely';
import type { Settings } from '../settings.ts';
import { type Decimal, money } from '../money.ts';
import type { CellStatus } from '../vocabulary.ts';

export type { CellStatus } from '../vocabulary.ts';

/** A provider's tolerance (provider null = the default for every other provider). */
export interface ToleranceRule {
  provider: string | null;
  /** percent of the cell's invoice amount, decimal text */
  percent: string;
  /** USD, decimal text */
  amount: string;
}

export function toleranceRules(settings: Settings): ToleranceRule[] {
  return [
    { provider: null, percent: settings.tolerance.default.percent, amount: settings.tolerance.default.amount },
    ...Object.entries(settings.tolerance.providers)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([provider, t]) => ({ provider, percent: t.percent, amount: t.amount })),
  ];
}

/**
 * A cell is `review` when its variance is above the tolerance on both measures (more than
 * `amount` dollars and more than `percent` of its invoice amount), `breach` when above twice
 * both, else `ok`: a $0.40 gap is noise whatever its percent, and $5 on a $10,000 cell is too.
 * cellStatusSql is the same rule for set-based SQL; test/reconcile/tolerance.db.test.ts ties the two.
 */
export function cellStatus(variance: Decimal, invoiceAmount: Decimal, rule: ToleranceRule): CellStatus {
  const abs = variance.abs();
  const amount = money(rule.amount);
  const share = money(rule.percent).dividedBy(100).times(invoiceAmount.abs());
  if (abs.greaterThan(amount.times(2)) && abs.greaterThan(share.times(2))) return 'breach';
  if (abs.greaterThan(amount) && abs.greaterThan(share)) return 'review';
  return 'ok';
}

/** SQL: the status of a cell of `variance` on `invoiceAmount` under tolerance `amount` dollars and `percent` (numeric expressions). */
export function cellStatusSql(variance: RawBuilder<unknown>, invoiceAmount: RawBuilder<unknown>, amount: RawBuilder<unknown>, percent: RawBuilder<unknown>): RawBuilder<CellStatus> {
  return sql<CellStatus>`case when abs(${variance}) > 2 * ${amount} and abs(${variance}) > 2 * ${percent} / 100 * abs(${invoiceAmount}) then 'breach'
           when abs(${variance}) > ${amount} and abs(${variance}) > ${percent} / 100 * abs(${invoiceAmount}) then 'review'
           else 'ok' end`;
}

export function ruleFor(rules: ToleranceRule[], provider: string): ToleranceRule {
  return rules.find((r) => r.provider === provider) ?? rules.find((r) => r.provider === null) ?? { provider: null, percent: '2', amount: '1.00' };
}
