import { numeric } from "./focus.js";
const COSTS = ['BilledCost', 'EffectiveCost', 'ListCost', 'ContractedCost'];
// FOCUS 1.3 lets a Correction leave quantities null ("MAY be null when ChargeClass is Correction")
const QUANTITIES = ['ConsumedQuantity', 'ConsumedUnit', 'PricingQuantity', 'PricingUnit'];
/**
 * Correction rows that take what was exported to what the new run allocates, pure: per origin
 * charge × owner, the new amount and ratio minus the net of every row exported so far. Rows that
 * did not change give nothing; an owner the new run no longer charges gets its net reversed.
 * Prior rows plus corrections add back to each origin charge, and their ratios to 1.
 */
export function correctionRows(prior, current, run) {
    const key = (r) => `${r.origin}\u0000${r.ownerKey}`;
    const net = new Map();
    for (const r of prior) {
        const n = net.get(key(r));
        if (n) {
            n.billed = n.billed.plus(r.billed);
            n.ratio = n.ratio.plus(r.ratio);
        }
        else
            net.set(key(r), { billed: r.billed, ratio: r.ratio, template: r.row, origin: r.origin, ownerKey: r.ownerKey });
    }
    const seen = new Set();
    const out = [];
    const emit = (template, origin, ownerKey, billed, ratio) => {
        if (billed.isZero() && ratio.isZero())
            return;
        const row = { ...template, ChargeClass: 'Correction', x_RunId: run.runId, x_InputsHash: run.inputsHash };
        for (const c of COSTS)
            row[c] = billed.toFixed(2);
        for (const q of QUANTITIES)
            row[q] = null;
        if (row.AllocatedMethodDetails)
            row.AllocatedMethodDetails = row.AllocatedMethodDetails.replace(/"AllocatedRatio":-?\d+(\.\d+)?/, `"AllocatedRatio":${numeric(ratio)}`);
        out.push({ origin, ownerKey, billed, ratio, row });
    };
    for (const r of current) {
        const k = key(r);
        seen.add(k);
        const n = net.get(k);
        emit(r.row, r.origin, r.ownerKey, r.billed.minus(n?.billed ?? 0), r.ratio.minus(n?.ratio ?? 0));
    }
    for (const [k, n] of [...net].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        if (!seen.has(k))
            emit(n.template, n.origin, n.ownerKey, n.billed.negated(), n.ratio.negated());
    }
    return out;
}
