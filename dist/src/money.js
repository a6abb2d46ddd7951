import { Decimal as DecimalBase } from 'decimal.js';
/**
 * The one Decimal configuration of recon. 40 significant digits keep per-token prices
 * (e.g. 0.000000075 USD) exact through every product and sum a month can produce.
 */
export const Decimal = DecimalBase.clone({ precision: 40, rounding: DecimalBase.ROUND_HALF_UP });
const MONEY_PATTERN = /^-?\d+(\.\d+)?$/;
/** Parses an exact decimal from its text form; never accepts JS numbers. */
export function money(text) {
    const trimmed = text.trim();
    if (!MONEY_PATTERN.test(trimmed))
        throw new Error(`not a decimal amount: "${text}"`);
    return new Decimal(trimmed);
}
export const ZERO = new Decimal(0);
export function sum(values) {
    let total = ZERO;
    for (const value of values)
        total = total.plus(value);
    return total;
}
/** Text for SQL parameters and JSON output, full precision. */
export function toSql(value) {
    return value.toFixed();
}
/** Rounds to whole cents (half up), as text with two decimals. */
export function toCents(value) {
    return value.toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2);
}
/**
 * Splits `total` (a whole-cent amount) over `weights` so the parts sum to `total` exactly:
 * each part is floored to the cent, then the remaining cents go one by one to the parts with
 * the largest remainders, ties broken by `keys` ascending so reruns agree.
 * With all weights zero the split is impossible; the caller decides (it throws).
 */
export function allocateLargestRemainder(total, weights, keys) {
    if (weights.length !== keys.length)
        throw new Error('weights and keys differ in length');
    if (!total.equals(total.toDecimalPlaces(2)))
        throw new Error(`total must be whole cents: ${total.toFixed()}`);
    if (weights.length === 0) {
        if (!total.isZero())
            throw new Error('cannot allocate a non-zero total over no weights');
        return [];
    }
    if (weights.some((w) => w.isNegative()))
        throw new Error('weights must not be negative');
    const weightSum = sum(weights);
    if (weightSum.isZero())
        throw new Error('cannot allocate over weights that are all zero');
    const cents = total.times(100);
    const sign = cents.isNegative() ? -1 : 1;
    const absCents = cents.abs();
    const exact = weights.map((w) => absCents.times(w).dividedBy(weightSum));
    const floors = exact.map((x) => x.floor());
    let left = absCents.minus(sum(floors)).toNumber();
    const order = exact
        .map((x, i) => ({ i, remainder: x.minus(floors[i]), key: keys[i] }))
        .sort((a, b) => b.remainder.comparedTo(a.remainder) || (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i));
    const parts = floors.slice();
    for (const { i } of order) {
        if (left <= 0)
            break;
        parts[i] = parts[i].plus(1);
        left -= 1;
    }
    const result = parts.map((p) => p.times(sign).dividedBy(100));
    if (!sum(result).equals(total))
        throw new Error('largest remainder failed to tie out');
    return result;
}
