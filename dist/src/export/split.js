import { Decimal, sum } from "../money.js";
/**
 * Splitting origin charges (invoice lines) over owners so that both margins hold exactly: each
 * line's parts add back to the line, and each owner's parts add back to what the allocation
 * charged that owner. Pure; no database.
 */
/**
 * Largest remainder in units of 10^-dp: parts of signed `exact` amounts that sum to `target`
 * exactly; ties go to the smaller key so reruns agree.
 */
export function largestRemainder(exact, keys, target, dp) {
    const scale = new Decimal(10).pow(dp);
    const targetUnits = target.times(scale);
    if (!targetUnits.isInteger())
        throw new Error(`target ${target.toFixed()} has more than ${dp} decimals`);
    const floors = exact.map((x) => x.times(scale).floor());
    let left = targetUnits.minus(sum(floors)).toNumber();
    const order = exact
        .map((x, i) => ({ i, remainder: x.times(scale).minus(floors[i]), key: keys[i] }))
        .sort((a, b) => b.remainder.comparedTo(a.remainder) || (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i));
    const parts = floors.slice();
    // |left| exceeds the count only when `exact` does not sum to `target`; spread it anyway, whole units.
    let k = 0;
    while (left !== 0 && order.length > 0) {
        const { i } = order[k % order.length];
        parts[i] = parts[i].plus(left > 0 ? 1 : -1);
        left += left > 0 ? -1 : 1;
        k += 1;
    }
    return parts.map((p) => p.dividedBy(scale));
}
export const RATIO_DP = 12;
/**
 * Splits `lines` over owners whose totals are `owners` (Σ owners = Σ lines). Cumulative
 * rounding: after line i the owners hold round(C_i × r_j) where C_i is the running line total
 * and r_j the owner's share, so each line's parts sum to the line and, after the last line,
 * each owner holds exactly its total. `dp` is the money precision (2 for cents).
 */
export function splitLines(lines, owners, ownerKeys, dp) {
    const total = sum(owners);
    const shares = total.isZero()
        ? evenShares(owners.map((o) => o.abs()))
        : owners.map((o) => o.dividedBy(total));
    const parts = [];
    const ratios = [];
    let running = new Decimal(0);
    let held = owners.map(() => new Decimal(0));
    for (const line of lines) {
        running = running.plus(line);
        const next = largestRemainder(shares.map((s) => running.times(s)), ownerKeys, running.toDecimalPlaces(dp), dp);
        const row = next.map((n, j) => n.minus(held[j]));
        held = next;
        parts.push(row);
        const exactRatios = line.isZero() ? shares : row.map((p) => p.dividedBy(line));
        ratios.push(largestRemainder(exactRatios, ownerKeys, new Decimal(1), RATIO_DP));
    }
    return { parts, ratios };
}
function evenShares(weights) {
    const total = sum(weights);
    if (total.isZero())
        return weights.map(() => new Decimal(1).dividedBy(weights.length));
    return weights.map((w) => w.dividedBy(total));
}
