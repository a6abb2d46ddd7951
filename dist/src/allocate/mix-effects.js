import { Decimal, ZERO, sum } from "../money.js";
import { roundToCents } from "./allocate.js";
export function splitChange(previous, current) {
    const r0 = sum(previous.map((x) => x.requests));
    const r1 = sum(current.map((x) => x.requests));
    const c0 = sum(previous.map((x) => x.cost));
    const c1 = sum(current.map((x) => x.cost));
    if (r0.isZero() || r1.isZero())
        return { volume: c1.minus(c0), price: ZERO, mix: ZERO };
    const models = new Set([...previous.map((x) => x.model), ...current.map((x) => x.model)]);
    const of = (list, model) => {
        const rows = list.filter((x) => x.model === model);
        return { requests: sum(rows.map((x) => x.requests)), cost: sum(rows.map((x) => x.cost)) };
    };
    let mix = ZERO;
    for (const model of models) {
        const before = of(previous, model);
        const after = of(current, model);
        const s0 = before.requests.dividedBy(r0);
        const s1 = after.requests.dividedBy(r1);
        const p1 = after.requests.isZero() ? ZERO : after.cost.dividedBy(after.requests);
        // a model new this month has no price of its own last month: its cost counts as mix, not price
        const p0 = before.requests.isZero() ? p1 : before.cost.dividedBy(before.requests);
        mix = mix.plus(s1.minus(s0).times(p0));
    }
    const volume = r1.minus(r0).times(c0.dividedBy(r0));
    mix = mix.times(r1);
    // R1 × Σ s1m (p1m − p0m), taken as the rest so that cost without requests is not lost either
    const price = c1.minus(c0).minus(volume).minus(mix);
    return { volume, price, mix };
}
function modelShift(previous, current) {
    const r0 = sum(previous.map((x) => x.requests));
    const r1 = sum(current.map((x) => x.requests));
    const share = (list, total, model) => (total.isZero() ? ZERO : sum(list.filter((x) => x.model === model).map((x) => x.requests)).dividedBy(total));
    const models = [...new Set([...previous.map((x) => x.model), ...current.map((x) => x.model)])];
    const pct = (d) => `${d.times(100).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toFixed(0)}%`;
    return models
        .map((m) => ({ m, s0: share(previous, r0, m), s1: share(current, r1, m) }))
        .filter((x) => x.s1.minus(x.s0).abs().greaterThanOrEqualTo('0.05'))
        .sort((a, b) => b.s1.minus(b.s0).abs().comparedTo(a.s1.minus(a.s0).abs()) || (a.m < b.m ? -1 : 1))
        .slice(0, 3)
        .map((x) => `${x.m} ${pct(x.s0)} → ${pct(x.s1)}`)
        .join(', ');
}
const cents = (d) => d.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
export function monthOverMonth(previous, current) {
    const key = (x) => `${x.team}\u0000${x.workflow}`;
    const groups = new Map();
    const add = (list, which) => {
        for (const x of list) {
            const g = groups.get(key(x)) ?? { team: x.team, workflow: x.workflow, previous: [], current: [] };
            g[which].push(x);
            groups.set(key(x), g);
        }
    };
    add(previous, 'previous');
    add(current, 'current');
    return [...groups.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([, g]) => {
        const c0 = sum(g.previous.map((x) => x.cost));
        const c1 = sum(g.current.map((x) => x.cost));
        const change = cents(c1).minus(cents(c0));
        const effects = splitChange(g.previous, g.current);
        const [volume, price, mix] = roundToCents([effects.volume, effects.price, effects.mix], ['a-volume', 'b-price', 'c-mix'], change);
        const largest = [
            { name: 'volume', value: volume },
            { name: 'price', value: price },
            { name: 'model mix', value: mix },
        ].sort((a, b) => b.value.abs().comparedTo(a.value.abs()))[0];
        const driver = change.isZero() ? 'no change' : g.previous.length === 0 ? 'new this month' : g.current.length === 0 ? 'stopped this month' : largest.name;
        return {
            team: g.team,
            workflow: g.workflow,
            previous_cost: cents(c0).toFixed(2),
            current_cost: cents(c1).toFixed(2),
            change: change.toFixed(2),
            volume_effect: volume.toFixed(2),
            price_effect: price.toFixed(2),
            mix_effect: mix.toFixed(2),
            previous_requests: sum(g.previous.map((x) => x.requests)).toFixed(0),
            current_requests: sum(g.current.map((x) => x.requests)).toFixed(0),
            driver,
            model_shift: modelShift(g.previous, g.current),
        };
    });
}
