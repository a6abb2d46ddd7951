import { Decimal, ZERO, sum } from "../money.js";
import { cellStatus } from "../reconcile/tolerance.js";
const UNCAUSED = new Set(['cell_causes', 'unexplained']);
export function chargeBridge(f, ownPricedUsage, tolerance) {
    const by = new Map(f.bridge);
    const notInvoiced = ownPricedUsage.minus(f.ownBilledBasis);
    if (!notInvoiced.isZero())
        by.set('not_invoiced', (by.get('not_invoiced') ?? ZERO).minus(notInvoiced));
    const rounding = f.allocated.minus(f.chargedExact);
    if (!rounding.isZero())
        by.set('rounding', rounding);
    const lines = [...by.entries()]
        .map(([why, amount]) => ({ why, amount }))
        .sort((a, b) => b.amount.abs().comparedTo(a.amount.abs()) || (a.why < b.why ? -1 : 1));
    const uncaused = sum(lines.filter((l) => UNCAUSED.has(l.why)).map((l) => l.amount));
    return {
        team: f.team,
        charged: f.allocated,
        own_priced_usage: ownPricedUsage,
        difference: f.allocated.minus(ownPricedUsage),
        by: lines,
        uncaused,
        flagged: cellStatus(uncaused, ownPricedUsage, tolerance) !== 'ok',
    };
}
/** Text of a bridge's lines for sheets and the terminal, largest first, to the cent. */
export function describeBridge(b) {
    return shownLines(b.by).map((l) => `${l.why} ${l.amount}`).join('; ');
}
/** The lines a reader is shown: to the cent, those that round to 0.00 left out. */
export function shownLines(by) {
    return by
        .map((l) => ({ why: l.why, amount: l.amount.toDecimalPlaces(2, Decimal.ROUND_HALF_UP) }))
        .filter((l) => !l.amount.isZero())
        .map((l) => ({ why: l.why, amount: l.amount.toFixed(2) }));
}
