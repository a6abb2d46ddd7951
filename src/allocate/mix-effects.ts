import { Decimal, ZERO, roundToCents, sum } from '../money.ts';

/**
 * Month over month, pure: per team and workflow, the change in priced cost split into
 *   volume    = (R1 − R0) × C0/R0                      more or fewer requests at last month's cost per request
 *   model mix = R1 × Σm (s1m − s0m) × p0m              requests moving between models (a new model counts at its own price)
 *   price     = R1 × Σm s1m × (p1m − p0m)              cost per request of the same model (rate card, prompt length)
 * where R = requests, C = cost, s = a model's share of the requests, p = its cost per request.
 * The three add up to the change exactly (before rounding; after rounding by largest remainder).
 */

export interface WorkflowModelCost {
  team: string;
  workflow: string;
  model: string;
  requests: Decimal;
  cost: Decimal;
}

export type MonthOverMonthRow = {
  team: string;
  workflow: string;
  previous_cost: string;
  current_cost: string;
  change: string;
  volume_effect: string;
  price_effect: string;
  mix_effect: string;
  previous_requests: string;
  current_requests: string;
  driver: string;
  model_shift: string;
};

interface Effects {
  volume: Decimal;
  price: Decimal;
  mix: Decimal;
}

export function splitChange(previous: WorkflowModelCost[], current: WorkflowModelCost[]): Effects {
  const r0 = sum(previous.map((x) => x.requests));
  const r1 = sum(current.map((x) => x.requests));
  const c0 = sum(previous.map((x) => x.cost));
  const c1 = sum(current.map((x) => x.cost));
  if (r0.isZero() || r1.isZero()) return { volume: c1.minus(c0), price: ZERO, mix: ZERO };
  const models = new Set([...previous.map((x) => x.model), ...current.map((x) => x.model)]);
  const of = (list: WorkflowModelCost[], model: string) => {
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

function modelShift(previous: WorkflowModelCost[], current: WorkflowModelCost[]): string {
  const r0 = sum(previous.map((x) => x.requests));
  const r1 = sum(current.map((x) => x.requests));
  const share = (list: WorkflowModelCost[], total: Decimal, model: string) => (total.isZero() ? ZERO : sum(list.filter((x) => x.model === model).map((x) => x.requests)).dividedBy(total));
  const models = [...new Set([...previous.map((x) => x.model), ...current.map((x) => x.model)])];
  const pct = (d: Decimal) => `${d.times(100).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toFixed(0)}%`;
  return models
    .map((m) => ({ m, s0: share(previous, r0, m), s1: share(current, r1, m) }))
    .filter((x) => x.s1.minus(x.s0).abs().greaterThanOrEqualTo('0.05'))
    .sort((a, b) => b.s1.minus(b.s0).abs().comparedTo(a.s1.minus(a.s0).abs()) || (a.m < b.m ? -1 : 1))
    .slice(0, 3)
    .map((x) => `${x.m} ${pct(x.s0)} → ${pct(x.s1)}`)
    .join(', ');
}

const cents = (d: Decimal) => d.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);

export function monthOverMonth(previous: WorkflowModelCost[], current: WorkflowModelCost[]): MonthOverMonthRow[] {
  const key = (x: { team: string; workflow: string }) => `${x.team}\u0000${x.workflow}`;
  const groups = new Map<string, { team: string; workflow: string; previous: WorkflowModelCost[]; current: WorkflowModelCost[] }>();
  const add = (list: WorkflowModelCost[], which: 'previous' | 'current') => {
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
      const [volume, price, mix] = roundToCents([effects.volume, effects.price, effects.mix], ['a-volume', 'b-price', 'c-mix'], change) as [Decimal, Decimal, Decimal];
      const largest = [
        { name: 'volume', value: volume },
        { name: 'price', value: price },
        { name: 'model mix', value: mix },
      ].sort((a, b) => b.value.abs().comparedTo(a.value.abs()))[0]!;
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
