import { causesTheBasisFollows } from '../allocate/queries.ts';
import type { AllocationPolicy } from '../allocate/policy.ts';
import { Decimal, sum, ZERO } from '../money.ts';
import type { PricedAttempt } from '../pricing/price-request.ts';
import type { CellKey, RunCellRow } from './queries.ts';

/**
 * The request trace, pure: a request's attempts as priced (src/pricing/price-request.ts), each
 * with its owner and how it was resolved (src/pricing/record-owner.ts), who the run charges it
 * to under its policy, its share of each variance cell's invoice amount, and the cell's status.
 */

/** Digits kept in a derived share or ratio (an invoice amount over a priced cost rarely ends). */
const SHARE_PLACES = 12;

/** Requests shown by --team/--day unless --top says otherwise. */
export const DEFAULT_TOP = 10;
/** A bound so a typo cannot ask for a whole day's records as a table. */
export const MAX_TOP = 1000;

const DAY = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

export function isDay(text: string): boolean {
  return DAY.test(text) && new Date(`${text}T00:00:00Z`).toISOString().slice(0, 10) === text;
}

export type ResolvedBy = 'tag' | 'gateway_key' | 'untagged';

export interface TraceRun {
  id: string;
  period: string;
  status: string;
  finished_at: string | null;
  policy: AllocationPolicy;
}

export interface TraceOwner {
  team: string | null;
  service: string | null;
  cost_center: string | null;
  gateway_key_id: string | null;
  resolved_by: ResolvedBy;
  /** how the owner was found, in words */
  resolution: string;
  /** the key map's row for the record's key, when the key map named the team */
  key_map: { team: string; service: string | null; environment: string | null } | null;
}

export interface TraceCell {
  category: string;
  cost: string;
  cell: CellKey;
  variance: {
    status: 'ok' | 'review' | 'breach' | null;
    invoice_amount: string | null;
    ledger_amount: string | null;
    variance: string | null;
    explained: string | null;
    unexplained: string | null;
    causes: { cause: string; effect: string; amount: string }[];
  } | null;
  allocation: {
    /** the cell's invoice amount over the priced cost of its records */
    ratio: string | null;
    /** this category's share of the cell's invoice amount (null: not derivable, see note) */
    share: string | null;
    exact: boolean;
    note: string;
  } | null;
}

export interface TraceAttempt extends PricedAttempt {
  retry: boolean;
  owner_resolution: TraceOwner;
  charged_to: { team: string | null; rule: string };
  cells: TraceCell[];
  /** sum of the cells' shares, null when one of them is not derivable or there is no run */
  allocated_share: string | null;
}

export interface Trace {
  request_id: string;
  period: string;
  run: { id: string; status: string; finished_at: string | null; policy_version: string } | null;
  attempts: TraceAttempt[];
  /** exact, unrounded, every attempt */
  cost: string;
  allocated_share: string | null;
  allocation_exact: boolean;
  allocation_note: string;
}

const ALLOCATION_NOTE =
  "usage share: the cell's invoice amount split over its records by priced cost, as the run allocates it, before rounding to cents and before invoice-level discounts, credits, tax and fees (spread over allocated spend)";

const dayOf = (ts: string) => ts.slice(0, 10);
/** numeric text without the column's trailing zeros: 0.39000000 → 0.39 */
const exactText = (text: string | null): string | null => (text === null ? null : new Decimal(text).toFixed());

export function cellKeyText(c: CellKey): string {
  return [c.provider, c.model, c.token_category, c.service_tier, c.day].join('\u0000');
}

/** The variance cells an attempt's priced categories fall in. */
export function attemptCells(a: PricedAttempt): CellKey[] {
  return a.categories
    .filter((c) => new Decimal(c.cost).gt(0) || c.unpriced_reason !== null)
    .map((c) => ({ provider: a.provider, model: a.canonical_model, token_category: c.category, service_tier: a.service_tier, day: dayOf(a.ts) }));
}

export function resolveOwner(a: PricedAttempt): TraceOwner {
  const r = a.resolved_owner;
  const base = { service: a.owner.service ?? r.key_map?.service ?? null, gateway_key_id: a.owner.gateway_key_id, cost_center: r.cost_center };
  if (r.source === 'tag') return { ...base, team: r.team, resolved_by: 'tag', resolution: 'team tag on the ledger record', key_map: null };
  if (r.source === 'key') {
    return { ...base, team: r.team, resolved_by: 'gateway_key', resolution: `no team tag; gateway key ${a.owner.gateway_key_id} maps to ${r.team} in the key map`, key_map: r.key_map };
  }
  return {
    ...base,
    team: null,
    resolved_by: 'untagged',
    resolution: a.owner.gateway_key_id ? `no team tag, and gateway key ${a.owner.gateway_key_id} is not in the key map: untagged` : 'no team tag and no gateway key: untagged',
    key_map: null,
  };
}

/** Who the run charges an attempt to, by the policy's untagged and retries rules (src/allocate/allocate.ts). */
export function chargedTo(owner: TraceOwner, retry: boolean, policy: AllocationPolicy): { team: string | null; rule: string } {
  if (owner.team === null) {
    if (policy.untagged === 'bucket') return { team: policy.platform_bucket, rule: `untagged spend to the ${policy.platform_bucket} bucket (policy untagged: bucket)` };
    return { team: null, rule: `untagged spend spread over the teams with tagged spend on the invoice (policy untagged: ${policy.untagged})` };
  }
  if (retry && policy.retries === 'platform') {
    return { team: policy.platform_bucket, rule: `retries and failed attempts charged to the ${policy.platform_bucket} bucket (policy retries: platform)` };
  }
  return { team: owner.team, rule: retry ? 'retries and failed attempts charged to the team that made them (policy retries: owner)' : 'charged to its owner' };
}

/** Causes in the cell that move, add or cut weights in the allocation's basis under the policy. */
function weightChangingCauses(cell: RunCellRow, policy: AllocationPolicy): string[] {
  const follows = causesTheBasisFollows(policy);
  const moving = new Set<string>(follows.shifts);
  if (follows.partialToOwners) moving.add('streaming_partial');
  if (follows.unbilledFree) moving.add('retry_billing');
  return [...new Set(cell.causes.filter((c) => c.effect === 'volume' && moving.has(c.cause)).map((c) => c.cause))].sort();
}

function cellAllocation(cost: Decimal, priced: boolean, cell: RunCellRow | undefined, policy: AllocationPolicy): NonNullable<TraceCell['allocation']> {
  if (!cell || cell.status === null || cell.invoice_amount === null) {
    return { ratio: null, share: null, exact: false, note: 'the run has no variance cell for this category: nothing of the invoice was allocated through it' };
  }
  const cubeCost = new Decimal(cell.cube_cost);
  const invoice = new Decimal(cell.invoice_amount);
  const ratio = cubeCost.gt(0) ? invoice.dividedBy(cubeCost).toDecimalPlaces(SHARE_PLACES) : null;
  if (policy.residual_variance === 'central') {
    return { ratio: ratio?.toFixed() ?? null, share: cost.toFixed(), exact: true, note: 'its priced cost; the cell variance is kept central (policy residual_variance: central)' };
  }
  const moving = weightChangingCauses(cell, policy);
  const reasons = [
    ...(moving.length > 0 ? [`the run moved weights in this cell following ${moving.join(', ')}`] : []),
    ...(!priced || cell.cube_unpriced ? ['unpriced records in the cell weigh their quantity at the cell unit price'] : []),
    ...(cubeCost.lte(0) ? ['nothing in the cell was priced (split by quantity)'] : []),
  ];
  if (reasons.length > 0 || ratio === null) {
    return { ratio: ratio?.toFixed() ?? null, share: null, exact: false, note: `not derivable per record: ${reasons.join('; ')}; shown: the cell's invoice amount over its priced cost` };
  }
  return {
    ratio: ratio.toFixed(),
    share: cost.times(invoice).dividedBy(cubeCost).toDecimalPlaces(SHARE_PLACES).toFixed(),
    exact: true,
    note: "the cell's invoice amount × this category's priced cost / the cell's priced cost",
  };
}

export interface TraceInput {
  requestId: string;
  period: string;
  attempts: readonly PricedAttempt[];
  run: TraceRun | null;
  cells: readonly RunCellRow[];
}

export function buildTrace(input: TraceInput): Trace {
  const cells = new Map(input.cells.map((c) => [cellKeyText(c), c]));
  const run = input.run;
  const attempts: TraceAttempt[] = input.attempts.map((a) => {
    const owner = resolveOwner(a);
    // the allocation's retry rule: a retry or fallback, or a failed attempt (src/allocate/queries.ts)
    const retry = a.is_retry || a.status === 'error';
    const traced: TraceCell[] = attemptCells(a).map((key) => {
      const category = a.categories.find((c) => c.category === key.token_category)!;
      const cost = new Decimal(category.cost);
      const cell = cells.get(cellKeyText(key));
      const explained = cell?.variance_amount != null ? new Decimal(cell.variance_amount).minus(cell.unexplained ?? '0').toFixed() : null;
      return {
        category: key.token_category,
        cost: category.cost,
        cell: key,
        variance: cell
          ? {
              status: cell.status,
              invoice_amount: exactText(cell.invoice_amount),
              ledger_amount: exactText(cell.ledger_amount),
              variance: exactText(cell.variance_amount),
              explained,
              unexplained: cell.status === null ? null : exactText(cell.unexplained ?? '0'),
              causes: cell.causes,
            }
          : null,
        allocation: run ? cellAllocation(cost, category.unpriced_reason === null, cell, run.policy) : null,
      };
    });
    const shares = traced.map((c) => c.allocation?.share ?? null);
    return {
      ...a,
      retry,
      owner_resolution: owner,
      charged_to: run ? chargedTo(owner, retry, run.policy) : { team: owner.team, rule: 'no succeeded run of the period yet' },
      cells: traced,
      allocated_share: run && shares.every((s) => s !== null) ? sum(shares.map((s) => new Decimal(s!))).toFixed() : null,
    };
  });
  const exact = run !== null && attempts.every((a) => a.allocated_share !== null);
  return {
    request_id: input.requestId,
    period: input.period,
    run: run ? { id: run.id, status: run.status, finished_at: run.finished_at, policy_version: run.policy.version } : null,
    attempts,
    cost: sum(input.attempts.map((a) => new Decimal(a.cost))).toFixed(),
    allocated_share: exact ? sum(attempts.map((a) => new Decimal(a.allocated_share!))).toFixed() : null,
    allocation_exact: exact,
    allocation_note: run ? (exact ? ALLOCATION_NOTE : `${ALLOCATION_NOTE}; not derivable exactly for every cell (see each cell's note and ratio)`) : 'no succeeded run of the period yet: nothing allocated',
  };
}

export interface TopRequest {
  rank: number;
  request_id: string;
  attempts: number;
  cost: string;
  team: string;
  resolved_by: ResolvedBy;
  service: string | null;
  gateway_key_id: string | null;
  provider: string;
  response_model: string;
  canonical_model: string;
  service_tier: string;
  region: string | null;
  pricing_region: string;
  ts: string;
  tokens: PricedAttempt['tokens'];
  card_versions: string[];
  /** effective_from of the card lines that priced it */
  pricing_effective_from: string[];
}

/**
 * A team's most expensive requests: attempts grouped under their original request (a retry adds
 * to the request it retries), by exact cost, then request id; the first attempt describes it.
 */
export function topRequests(attempts: readonly PricedAttempt[], team: string, top: number): { requests: TopRequest[]; total_requests: number } {
  const groups = new Map<string, PricedAttempt[]>();
  for (const a of attempts) {
    const id = a.original_request_id ?? a.request_id;
    groups.set(id, [...(groups.get(id) ?? []), a]);
  }
  const ranked = [...groups.entries()]
    .map(([id, list]) => ({ id, list, cost: list.reduce((s, a) => s.plus(a.cost), ZERO) }))
    .sort((x, y) => y.cost.comparedTo(x.cost) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  const requests = ranked.slice(0, top).map((g, i): TopRequest => {
    const first = g.list.find((a) => a.request_id === g.id) ?? g.list[0]!;
    const owner = resolveOwner(first);
    const lines = g.list.flatMap((a) => a.categories).filter((c) => c.line_id !== null && new Decimal(c.cost).gt(0));
    return {
      rank: i + 1,
      request_id: g.id,
      attempts: g.list.length,
      cost: g.cost.toFixed(),
      team,
      resolved_by: owner.resolved_by,
      service: owner.service,
      gateway_key_id: first.owner.gateway_key_id,
      provider: first.provider,
      response_model: first.response_model,
      canonical_model: first.canonical_model,
      service_tier: first.service_tier,
      region: first.region,
      pricing_region: first.pricing_region,
      ts: first.ts,
      tokens: first.tokens,
      card_versions: [...new Set(lines.map((c) => c.card_version).filter((v): v is string => v !== null))].sort(),
      pricing_effective_from: [...new Set(lines.map((c) => c.line_effective_from).filter((v): v is string => v !== null))].sort(),
    };
  });
  return { requests, total_requests: groups.size };
}
