import { Decimal as DecimalBase } from 'decimal.js';

/**
 * The one Decimal configuration of recon. 40 significant digits keep per-token prices
 * (e.g. 0.000000075 USD) exact through every product and sum a month can produce.
 */
export const Decimal = DecimalBase.clone({ precision: 40, rounding: DecimalBase.ROUND_HALF_UP });
export type Decimal = InstanceType<typeof Decimal>;

const MONEY_PATTERN = /^-?\d+(\.\d+)?$/;

/** Parses an exact decimal from its text form; never accepts JS numbers. */
export function money(text: string): Decimal {
  const trimmed = text.trim();
  if (!MONEY_PATTERN.test(trimmed)) throw new Error(`not a decimal amount: "${text}"`);
  return new Decimal(trimmed);
}

export const ZERO = new Decimal(0);

export function sum(values: Iterable<Decimal>): Decimal {
  let total = ZERO;
  for (const value of values) total = total.plus(value);
  return total;
}

/** Text for SQL parameters and JSON output, full precision. */
export function toSql(value: Decimal): string {
  return value.toFixed();
}

/** Rounds to whole cents (half up), as text with two decimals. */
export function toCents(value: Decimal): string {
  return value.toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2);
}

/**
 * The one rounding rule of recon (largest remainder): parts of signed exact amounts, in units of
 * 10^-dp, that sum to `target` exactly. Each part is floored to the unit, then the units left go
 * one by one to the largest remainders, ties to the smaller key so reruns agree. When `exact`
 * does not sum to `target` within one unit per part, whole units are still spread in that order.
 */
export function largestRemainder(exact: readonly Decimal[], keys: readonly string[], target: Decimal, dp: number): Decimal[] {
  if (exact.length !== keys.length) throw new Error('amounts and keys differ in length');
  const scale = new Decimal(10).pow(dp);
  const targetUnits = target.times(scale);
  if (!targetUnits.isInteger()) throw new Error(`target ${target.toFixed()} has more than ${dp} decimals`);
  const floors = exact.map((x) => x.times(scale).floor());
  let left = targetUnits.minus(sum(floors)).toNumber();
  const order = exact
    .map((x, i) => ({ i, remainder: x.times(scale).minus(floors[i]!), key: keys[i]! }))
    .sort((a, b) => b.remainder.comparedTo(a.remainder) || (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i));
  const parts = floors.slice();
  let k = 0;
  while (left !== 0 && order.length > 0) {
    const { i } = order[k % order.length]!;
    parts[i] = parts[i]!.plus(left > 0 ? 1 : -1);
    left += left > 0 ? -1 : 1;
    k += 1;
  }
  return parts.map((p) => p.dividedBy(scale));
}

/**
 * Whole-cent parts of signed exact amounts that sum to whole-cent `target` exactly: the
 * allocation's rounding. Refuses amounts that do not sum to `target` within a cent per part.
 */
export function roundToCents(exact: readonly Decimal[], keys: readonly string[], target: Decimal): Decimal[] {
  if (!target.times(100).isInteger()) throw new Error(`target must be whole cents: ${target.toFixed()}`);
  const left = target.times(100).minus(sum(exact.map((x) => x.times(100).floor())));
  if (left.isNegative() || left.greaterThan(exact.length)) {
    throw new Error(`cannot round ${exact.length} amounts summing to ${sum(exact).toFixed()} to ${target.toFixed(2)}`);
  }
  const result = largestRemainder(exact, keys, target, 2);
  if (!sum(result).equals(target)) throw new Error('rounding failed to tie out');
  return result;
}
