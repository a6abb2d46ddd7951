import { Decimal, ZERO, roundToCents, sum } from '../money.ts';

import { centralBucket, type AllocationPolicy } from './policy.ts';
import type { CommitmentCharge } from '../commitments/amortise.ts';

/**
 * The allocation maths, pure: small aggregated inputs (per invoice × owner × service × workflow
 * × model) in, rows at the finest grain rounded to the cent out. SQL gathers the inputs
 * (src/allocate/queries.ts); nothing here touches the database.
 */

/** What a usage row's rule says when its dollars followed a cause's evidence. */
const CAUSE_FOLLOWED: Readonly<Record<string, string>> = {
  batch_tier: 'billed in another service tier than logged (batch_tier): the invoice line follows the records it bills',
  cache_pricing: 'billed in another cache category than logged (cache_pricing): the invoice line follows the records it bills',
  fallback_drift: 'billed as the model the request asked for (fallback_drift): the invoice line follows the requests that fell back',
  model_alias: 'billed under another model name (model_alias): the invoice line follows the records of that model',
  streaming_partial: 'usage of partial streams billed but not logged (streaming_partial): charged to the owners of those streams',
  unpriced_model: 'records the card cannot price (unpriced_model), weighed at the cell price',
};

/** `commitment`: the used part of a commitment's hours; `idle_capacity`: its idle part (src/commitments/amortise.ts) */
export type Component = 'usage' | 'retry' | 'untagged' | 'unmatched_invoice' | 'variance' | 'discount' | 'credit' | 'tax' | 'fee' | 'dispute' | 'commitment' | 'idle_capacity';

/** Cube records of one owner group priced into the cells of one invoice. */
export interface UsageShare {
  provider: string;
  invoiceId: string;
  /** null = untagged (no tag, no key owner) */
  team: string | null;
  costCenter: string | null;
  service: string | null;
  workflow: string | null;
  model: string | null;
  /** failed attempt or retry */
  retry: boolean;
  /** every record of the group was priced */
  priced: boolean;
  /** the cause whose evidence put these records in the cell (null: logged there) */
  cause?: string | null;
  /** the group's cells are within tolerance (not breach) */
  reconciled: boolean;
  /** priced-ledger cost of the records (the part of it this invoice bills) */
  basis: Decimal;
  /** the invoice amount of its cells split over their records by priced cost */
  share: Decimal;
  /** Σ over cells of |share − basis|: how far the invoice is from the ledger for these records */
  varianceAbs: Decimal;
  /** its part of the cells' unexplained variance */
  unexplained: Decimal;
}

/** Usage invoice amount no ledger record explains: a cell with no records, or an unmapped line. */
export interface UnmatchedAmount {
  provider: string;
  invoiceId: string;
  model: string | null;
  amount: Decimal;
  reason: 'no_ledger_records' | 'unmapped_invoice_line';
}

export interface InvoiceAdjustment {
  provider: string;
  invoiceId: string;
  lineType: 'discount' | 'credit' | 'tax' | 'fee';
  amount: Decimal;
}

/** Exact sum of every line of one provider invoice in the period. */
export interface InvoiceTotal {
  provider: string;
  invoiceId: string;
  amount: Decimal;
}

export interface AcceptedDispute {
  id: string;
  team: string;
  amount: Decimal;
  reason: string;
  /** the team that takes the amount; null or absent: the policy's platform bucket */
  receivingTeam?: string | null;
}

export interface AllocationInput {
  policy: AllocationPolicy;
  invoices: InvoiceTotal[];
  usage: UsageShare[];
  unmatched: UnmatchedAmount[];
  adjustments: InvoiceAdjustment[];
  disputes: AcceptedDispute[];
  /** owners' charges of the flat lines commitments bill under, amortised by hour (those lines are in no other input) */
  commitments?: CommitmentCharge[];
  /** team → cost center from the owners file */
  costCenters: ReadonlyMap<string, string | null>;
}

export interface AllocationRow {
  provider: string;
  invoice_id: string;
  team: string;
  cost_center: string | null;
  service: string | null;
  workflow: string | null;
  model: string | null;
  component: Component;
  /** the cause the row's dollars followed (null: charged where the ledger logged them) */
  cause: string | null;
  /** the commitment the row's dollars came from (null: none) */
  commitment_id: string | null;
  /** full precision */
  basis: Decimal;
  /** before rounding */
  exact: Decimal;
  /** whole cents */
  amount: Decimal;
  rule: string;
}

/** What the allocation says about one team, before the chargeback gates. */
export interface TeamFigures {
  team: string;
  costCenter: string | null;
  allocated: Decimal;
  pricedCost: Decimal;
  /** charge from usage, retries, untagged, unmatched and variance (before adjustments and disputes) */
  gross: Decimal;
  /** part of gross from the team's own tagged (or key-owned), priced, reconciled records */
  attributable: Decimal;
  varianceAbs: Decimal;
  /** priced cost of the team's own records in invoiced cells */
  ownBasis: Decimal;
  untaggedExposure: Decimal;
  unexplainedExposure: Decimal;
  /** exact charge before rounding to the cent */
  chargedExact: Decimal;
  /** priced cost of the team's own records that the invoice bills (charged to it or, by policy, to the bucket) */
  ownBilledBasis: Decimal;
  /** charge minus own priced usage, by what moved it (see charge-bridge.ts) */
  bridge: Map<string, Decimal>;
}

export interface DisputeApplication {
  id: string;
  team: string;
  requested: Decimal;
  applied: Decimal;
  note: string;
}

export interface AllocationResult {
  rows: AllocationRow[];
  teams: TeamFigures[];
  disputes: DisputeApplication[];
  /** things a reader of the run should know (weights all zero, caps applied) */
  notes: string[];
}

interface Piece {
  provider: string;
  invoiceId: string;
  team: string;
  costCenter: string | null;
  service: string | null;
  workflow: string | null;
  model: string | null;
  component: Component;
  exact: Decimal;
  basis: Decimal;
  rule: string;
  cause: string | null;
  commitmentId: string | null;
  /** the team whose records the basis is (null: untagged records, or no records) */
  fromTeam: string | null;
  /** tagged spend charged to its own team: what untagged spend and discounts spread over */
  receiver: boolean;
  attributable: Decimal;
  varianceAbs: Decimal;
  ownBasis: Decimal;
  untagged: Decimal;
  unexplained: Decimal;
}

const invoiceKey = (provider: string, invoiceId: string) => `${provider}\u0000${invoiceId}`;

function piece(base: Pick<Piece, 'provider' | 'invoiceId' | 'team' | 'costCenter' | 'service' | 'workflow' | 'model' | 'component' | 'exact' | 'rule'> & Partial<Piece>): Piece {
  return { basis: ZERO, cause: null, commitmentId: null, fromTeam: null, receiver: false, attributable: ZERO, varianceAbs: ZERO, ownBasis: ZERO, untagged: ZERO, unexplained: ZERO, ...base };
}

/** Half-up to the cent: the one rounding of the period's invoice total. */
export function invoiceTarget(total: Decimal): Decimal {
  return total.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
}

/**
 * The cents each invoice's allocations add up to (README, "Rounding"): the period's exact invoice
 * total is rounded once, half-up, and its cents are shared over the invoices by largest remainder
 * of their exact amounts (ties by provider and invoice id). Rounding each invoice on its own would
 * not tie: 10.005 and 20.005 would allocate 30.02 of an invoice total of 30.01. Invoices in whole
 * cents (the usual case) get exactly their amount.
 */
export function invoiceTargets(invoices: readonly { provider: string; invoiceId: string; amount: Decimal }[]): Map<string, Decimal> {
  const keys = invoices.map((i) => invoiceKey(i.provider, i.invoiceId));
  const cents = roundToCents(invoices.map((i) => i.amount), keys, invoiceTarget(sum(invoices.map((i) => i.amount))));
  return new Map(keys.map((key, i) => [key, cents[i]!]));
}

type SpreadMode = AllocationPolicy['untagged'];

/**
 * Moves `amount` (and its basis) onto owners under the untagged policy: the bucket, the
 * receivers by weight, or the receivers' teams evenly; falls back to the bucket (saying so) when
 * there is nothing to spread over.
 */
function spread(
  item: Pick<Piece, 'provider' | 'invoiceId' | 'service' | 'workflow' | 'model' | 'component' | 'exact' | 'basis' | 'unexplained'> & { untagged: boolean; what: string },
  receivers: Piece[],
  mode: SpreadMode,
  policy: AllocationPolicy,
  costCenters: ReadonlyMap<string, string | null>,
  notes: string[],
): Piece[] {
  const bucket = policy.platform_bucket;
  const base = { provider: item.provider, invoiceId: item.invoiceId, component: item.component };
  const toBucket = (why: string) => [
    piece({
      ...base,
      team: bucket,
      costCenter: costCenters.get(bucket) ?? null,
      service: item.service,
      workflow: item.workflow,
      model: item.model,
      exact: item.exact,
      basis: item.basis,
      untagged: item.untagged ? item.exact : ZERO,
      unexplained: item.unexplained,
      rule: `${item.what} kept in the ${bucket} bucket (${why})`,
    }),
  ];
  if (mode === 'bucket') return toBucket('policy untagged: bucket');
  const weighted = receivers.filter((r) => r.exact.greaterThan(0));
  if (mode === 'proportional') {
    const total = sum(weighted.map((r) => r.exact));
    if (total.isZero()) {
      notes.push(`${item.provider} invoice ${item.invoiceId}: ${item.what} ${item.exact.toFixed(2)} kept in the ${bucket} bucket: every weight is zero (no tagged spend to spread over)`);
      return toBucket('policy untagged: proportional, but every weight is zero');
    }
    return weighted.map((r) => {
      const fraction = r.exact.dividedBy(total);
      const exact = item.exact.times(fraction);
      return piece({
        ...base,
        team: r.team,
        costCenter: r.costCenter,
        service: r.service,
        workflow: r.workflow,
        model: r.model,
        exact,
        basis: item.basis.times(fraction),
        untagged: item.untagged ? exact : ZERO,
        unexplained: item.unexplained.times(fraction),
        rule: `${item.what} spread over tagged spend by weight (policy untagged: proportional)`,
      });
    });
  }
  const teams = [...new Set(weighted.map((r) => r.team))].sort();
  if (teams.length === 0) {
    notes.push(`${item.provider} invoice ${item.invoiceId}: ${item.what} ${item.exact.toFixed(2)} kept in the ${bucket} bucket: no team with tagged spend to split it evenly over`);
    return toBucket('policy untagged: even, but no team has tagged spend on this invoice');
  }
  const fraction = new Decimal(1).dividedBy(teams.length);
  return teams.map((team) => {
    const exact = item.exact.times(fraction);
    return piece({
      ...base,
      team,
      costCenter: costCenters.get(team) ?? weighted.find((r) => r.team === team)?.costCenter ?? null,
      service: null,
      workflow: null,
      model: item.model,
      exact,
      basis: item.basis.times(fraction),
      untagged: item.untagged ? exact : ZERO,
      unexplained: item.unexplained.times(fraction),
      rule: `${item.what} split evenly over the ${teams.length} teams with tagged spend (policy untagged: even)`,
    });
  });
}

function allocateOneInvoice(
  invoice: InvoiceTotal,
  usage: UsageShare[],
  unmatched: UnmatchedAmount[],
  adjustments: InvoiceAdjustment[],
  commitments: CommitmentCharge[],
  policy: AllocationPolicy,
  costCenters: ReadonlyMap<string, string | null>,
  notes: string[],
): Piece[] {
  const bucket = policy.platform_bucket;
  const central = centralBucket(policy);
  const centralVariance = policy.residual_variance === 'central';
  const base = { provider: invoice.provider, invoiceId: invoice.invoiceId };
  const pieces: Piece[] = [];
  const untagged = { exact: ZERO, basis: ZERO, unexplained: ZERO };
  const untaggedDetail: UsageShare[] = [];

  for (const u of usage) {
    const charged = centralVariance ? u.basis : u.share;
    if (centralVariance && !u.share.equals(u.basis)) {
      pieces.push(
        piece({
          ...base,
          team: central,
          costCenter: costCenters.get(central) ?? null,
          service: null,
          workflow: null,
          model: u.model,
          component: 'variance',
          exact: u.share.minus(u.basis),
          unexplained: u.unexplained,
          rule: `cell variance (invoice − priced ledger) kept central in ${central} (policy residual_variance: central)`,
        }),
      );
    }
    const unexplained = centralVariance ? ZERO : u.unexplained;
    if (u.team === null) {
      untagged.exact = untagged.exact.plus(charged);
      untagged.basis = untagged.basis.plus(u.basis);
      untagged.unexplained = untagged.unexplained.plus(unexplained);
      untaggedDetail.push({ ...u, share: charged, unexplained });
      continue;
    }
    const toPlatform = u.retry && policy.retries === 'platform';
    const usageRule = centralVariance ? 'priced cost of its records; cell variance kept central' : 'cell invoice amount split over its records by priced cost';
    pieces.push(
      piece({
        ...base,
        team: toPlatform ? bucket : u.team,
        costCenter: toPlatform ? (costCenters.get(bucket) ?? null) : (u.costCenter ?? costCenters.get(u.team) ?? null),
        service: u.service,
        workflow: u.workflow,
        model: u.model,
        component: u.retry ? 'retry' : 'usage',
        cause: u.cause ?? null,
        fromTeam: u.team,
        exact: charged,
        basis: u.basis,
        rule: (u.cause ? `${CAUSE_FOLLOWED[u.cause] ?? `following ${u.cause}`}; ` : '') + (u.retry
          ? toPlatform
            ? `retries and failed attempts of ${u.team} charged to the ${bucket} bucket (policy retries: platform)`
            : `retries and failed attempts charged to the team that made them (policy retries: owner); ${usageRule}`
          : usageRule),
        receiver: !toPlatform,
        attributable: !toPlatform && u.priced && u.reconciled ? charged : ZERO,
        varianceAbs: toPlatform ? ZERO : u.varianceAbs,
        ownBasis: toPlatform ? ZERO : u.basis,
        unexplained,
      }),
    );
  }

  for (const c of commitments) {
    // a commitment's hours charged to the owners that ran on it: their own tagged usage, attributable to them
    const own = c.fromTeam !== null && c.fromTeam === c.team;
    pieces.push(
      piece({
        ...base,
        team: c.team,
        costCenter: c.costCenter,
        service: c.service,
        workflow: c.workflow,
        model: c.model,
        component: c.component,
        commitmentId: c.commitmentId,
        exact: c.exact,
        rule: c.rule,
        receiver: own,
        attributable: own ? c.exact : ZERO,
      }),
    );
  }

  const receivers = pieces.filter((p) => p.receiver);
  if (policy.untagged === 'bucket') {
    // In the bucket the untagged spend keeps its service, workflow and model: that is the evidence.
    for (const u of untaggedDetail) {
      pieces.push(...spread({ ...base, service: u.service, workflow: u.workflow, model: u.model, component: 'untagged', exact: u.share, basis: u.basis, unexplained: u.unexplained, untagged: true, what: 'untagged spend' }, receivers, 'bucket', policy, costCenters, notes));
    }
  } else if (untaggedDetail.length > 0) {
    pieces.push(...spread({ ...base, service: null, workflow: null, model: null, component: 'untagged', ...untagged, untagged: true, what: 'untagged spend' }, receivers, policy.untagged, policy, costCenters, notes));
  }
  for (const m of unmatched) {
    const what = m.reason === 'no_ledger_records' ? 'invoice amount with no ledger records in its cell' : 'unmapped invoice line';
    pieces.push(...spread({ ...base, service: null, workflow: null, model: m.model, component: 'unmatched_invoice', exact: m.amount, basis: ZERO, unexplained: ZERO, untagged: true, what }, receivers, policy.untagged, policy, costCenters, notes));
  }

  const byType = new Map<InvoiceAdjustment['lineType'], Decimal>();
  for (const a of adjustments) byType.set(a.lineType, (byType.get(a.lineType) ?? ZERO).plus(a.amount));
  const spendPieces = pieces.slice();
  for (const lineType of ['discount', 'credit', 'tax', 'fee'] as const) {
    const amount = byType.get(lineType);
    if (amount === undefined || amount.isZero()) continue;
    const option = lineType === 'discount' || lineType === 'credit' ? 'discounts_and_credits' : 'tax_and_fees';
    const keepCentral = (why: string) =>
      pieces.push(piece({ ...base, team: central, costCenter: costCenters.get(central) ?? null, service: null, workflow: null, model: null, component: lineType, exact: amount, rule: `invoice ${lineType} kept central in ${central} (${why})` }));
    if (policy[option] === 'central') {
      keepCentral(`policy ${option}: central`);
      continue;
    }
    const weighted = spendPieces.filter((p) => p.exact.greaterThan(0));
    const total = sum(weighted.map((p) => p.exact));
    if (total.isZero()) {
      notes.push(`${invoice.provider} invoice ${invoice.invoiceId}: ${lineType} ${amount.toFixed(2)} kept central: no allocated spend to spread it over`);
      keepCentral(`policy ${option}: proportional, but there is no allocated spend to spread over`);
      continue;
    }
    for (const p of weighted) {
      pieces.push(
        piece({
          ...base,
          team: p.team,
          costCenter: p.costCenter,
          service: p.service,
          workflow: p.workflow,
          model: p.model,
          component: lineType,
          exact: amount.times(p.exact).dividedBy(total),
          rule: `invoice ${lineType} spread in proportion to allocated spend (policy ${option}: proportional)`,
        }),
      );
    }
  }
  return pieces;
}

/**
 * Accepted disputes move their amount from the disputing team to the team the dispute names
 * (default: the policy's platform bucket), per invoice in proportion to what the team is charged
 * on each, capped at that charge.
 */
function applyDisputes(pieces: Piece[], disputes: AcceptedDispute[], policy: AllocationPolicy, costCenters: ReadonlyMap<string, string | null>, notes: string[]): DisputeApplication[] {
  const applications: DisputeApplication[] = [];
  const ordered = disputes.slice().sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : BigInt(a.id) > BigInt(b.id) ? 1 : 0));
  for (const d of ordered) {
    const receiver = d.receivingTeam ?? policy.platform_bucket;
    if (receiver === d.team) {
      applications.push({ id: d.id, team: d.team, requested: d.amount, applied: ZERO, note: `dispute of ${d.team} names no other team to take the amount, so nothing was moved (accept it with --to TEAM)` });
      continue;
    }
    const perInvoice = new Map<string, { provider: string; invoiceId: string; total: Decimal }>();
    for (const p of pieces) {
      if (p.team !== d.team) continue;
      const key = invoiceKey(p.provider, p.invoiceId);
      const entry = perInvoice.get(key) ?? { provider: p.provider, invoiceId: p.invoiceId, total: ZERO };
      entry.total = entry.total.plus(p.exact);
      perInvoice.set(key, entry);
    }
    const positive = [...perInvoice.values()].filter((e) => e.total.greaterThan(0)).sort((a, b) => (invoiceKey(a.provider, a.invoiceId) < invoiceKey(b.provider, b.invoiceId) ? -1 : 1));
    const available = sum(positive.map((e) => e.total));
    if (!available.greaterThan(0)) {
      applications.push({ id: d.id, team: d.team, requested: d.amount, applied: ZERO, note: `nothing is charged to ${d.team} in this run, so nothing was moved` });
      continue;
    }
    const applied = Decimal.min(d.amount, available);
    const capped = applied.lessThan(d.amount);
    if (capped) notes.push(`dispute #${d.id}: ${d.amount.toFixed(2)} asked, capped at the ${available.toFixed(2)} charged to ${d.team}`);
    const what = `dispute #${d.id} accepted (${d.reason})`;
    for (const e of positive) {
      const moved = applied.times(e.total).dividedBy(available);
      const base = { provider: e.provider, invoiceId: e.invoiceId, service: null, workflow: null, model: null, component: 'dispute' as const };
      pieces.push(
        piece({ ...base, team: d.team, costCenter: costCenters.get(d.team) ?? null, exact: moved.negated(), rule: `${what}: amount moved from ${d.team} to ${receiver}${capped ? ' (capped at its charge)' : ''}` }),
        piece({ ...base, team: receiver, costCenter: costCenters.get(receiver) ?? null, exact: moved, rule: `${what}: amount taken from ${d.team}${d.receivingTeam ? '' : ' (no receiving team named: the policy bucket)'}` }),
      );
    }
    applications.push({ id: d.id, team: d.team, requested: d.amount, applied, note: `${capped ? `capped at the ${available.toFixed(2)} charged to ${d.team}` : 'applied in full'}; moved to ${receiver}` });
  }
  return applications;
}

const rowKey = (p: Pick<Piece, 'team' | 'costCenter' | 'service' | 'workflow' | 'model' | 'component' | 'cause' | 'commitmentId'>) =>
  [p.team, p.costCenter ?? '', p.service ?? '', p.workflow ?? '', p.model ?? '', p.component, p.cause ?? '', p.commitmentId ?? ''].join('\u0000');

/**
 * Allocates every provider invoice of the period to owners under the policy, then rounds to the
 * cent once (the period's total, shared over the invoices: invoiceTargets) at the finest grain so
 * the rows sum exactly to each invoice and to the total.
 */
export function allocate(input: AllocationInput): AllocationResult {
  const { policy, costCenters } = input;
  const notes: string[] = [];
  const group = <T extends { provider: string; invoiceId: string }>(items: T[]) => {
    const map = new Map<string, T[]>();
    for (const item of items) {
      const key = invoiceKey(item.provider, item.invoiceId);
      const list = map.get(key) ?? [];
      list.push(item);
      map.set(key, list);
    }
    return map;
  };
  const usage = group(input.usage);
  const unmatched = group(input.unmatched);
  const adjustments = group(input.adjustments);
  const commitments = group(input.commitments ?? []);
  const invoices = input.invoices.slice().sort((a, b) => (invoiceKey(a.provider, a.invoiceId) < invoiceKey(b.provider, b.invoiceId) ? -1 : 1));
  const known = new Set(invoices.map((i) => invoiceKey(i.provider, i.invoiceId)));
  for (const key of [...usage.keys(), ...unmatched.keys(), ...adjustments.keys(), ...commitments.keys()]) {
    if (!known.has(key)) throw new Error(`allocation input names invoice ${key.replace('\u0000', ' ')} that has no invoice total`);
  }

  const pieces: Piece[] = [];
  for (const invoice of invoices) {
    const key = invoiceKey(invoice.provider, invoice.invoiceId);
    pieces.push(...allocateOneInvoice(invoice, usage.get(key) ?? [], unmatched.get(key) ?? [], adjustments.get(key) ?? [], commitments.get(key) ?? [], policy, costCenters, notes));
  }
  const disputes = applyDisputes(pieces, input.disputes, policy, costCenters, notes);

  const rows: AllocationRow[] = [];
  const piecesByInvoice = group(pieces);
  const targets = invoiceTargets(invoices);
  for (const invoice of invoices) {
    const merged = new Map<string, AllocationRow & { rules: Set<string> }>();
    for (const p of piecesByInvoice.get(invoiceKey(invoice.provider, invoice.invoiceId)) ?? []) {
      const key = rowKey(p);
      const row = merged.get(key);
      if (row) {
        row.exact = row.exact.plus(p.exact);
        row.basis = row.basis.plus(p.basis);
        row.rules.add(p.rule);
      } else {
        merged.set(key, {
          provider: p.provider,
          invoice_id: p.invoiceId,
          team: p.team,
          cost_center: p.costCenter,
          service: p.service,
          workflow: p.workflow,
          model: p.model,
          component: p.component,
          cause: p.cause,
          commitment_id: p.commitmentId,
          basis: p.basis,
          exact: p.exact,
          amount: ZERO,
          rule: '',
          rules: new Set([p.rule]),
        });
      }
    }
    const kept = [...merged.entries()].filter(([, r]) => !(r.exact.isZero() && r.basis.isZero())).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const exactTotal = sum(kept.map(([, r]) => r.exact));
    // The inputs are exact up to SQL's division precision; anything larger is a bug in the split.
    if (exactTotal.minus(invoice.amount).abs().greaterThan('0.000001')) {
      throw new Error(`allocation of ${invoice.provider} invoice ${invoice.invoiceId} adds up to ${exactTotal.toFixed()} instead of ${invoice.amount.toFixed()}`);
    }
    const cents = roundToCents(
      kept.map(([, r]) => r.exact),
      kept.map(([k]) => k),
      targets.get(invoiceKey(invoice.provider, invoice.invoiceId))!,
    );
    kept.forEach(([, r], i) => {
      const { rules, ...row } = r;
      rows.push({ ...row, amount: cents[i]!, rule: [...rules].sort().join('; ') });
    });
  }

  return { rows, teams: teamFigures(pieces, rows, costCenters), disputes, notes };
}

const GROSS: ReadonlySet<Component> = new Set(['usage', 'retry', 'untagged', 'unmatched_invoice', 'variance', 'commitment', 'idle_capacity']);

/** A team with nothing charged yet (also: a team with priced usage and no invoice to charge it). */
export function emptyTeamFigures(team: string, costCenter: string | null): TeamFigures {
  return {
    team, costCenter, allocated: ZERO, pricedCost: ZERO, gross: ZERO, attributable: ZERO, varianceAbs: ZERO, ownBasis: ZERO,
    untaggedExposure: ZERO, unexplainedExposure: ZERO, chargedExact: ZERO, ownBilledBasis: ZERO, bridge: new Map(),
  };
}

function teamFigures(pieces: Piece[], rows: AllocationRow[], costCenters: ReadonlyMap<string, string | null>): TeamFigures[] {
  const teams = new Map<string, TeamFigures>();
  const get = (team: string, costCenter: string | null) => {
    let f = teams.get(team);
    if (!f) {
      f = emptyTeamFigures(team, costCenters.get(team) ?? costCenter);
      teams.set(team, f);
    }
    return f;
  };
  const add = (f: TeamFigures, why: string, amount: Decimal) => {
    if (!amount.isZero()) f.bridge.set(why, (f.bridge.get(why) ?? ZERO).plus(amount));
  };
  for (const p of pieces) {
    const f = get(p.team, p.costCenter);
    f.pricedCost = f.pricedCost.plus(p.basis);
    if (GROSS.has(p.component)) f.gross = f.gross.plus(p.exact);
    f.attributable = f.attributable.plus(p.attributable);
    f.varianceAbs = f.varianceAbs.plus(p.varianceAbs);
    f.ownBasis = f.ownBasis.plus(p.ownBasis);
    f.untaggedExposure = f.untaggedExposure.plus(p.untagged);
    f.unexplainedExposure = f.unexplainedExposure.plus(p.unexplained);
    f.chargedExact = f.chargedExact.plus(p.exact);
    // How the charge differs from the team's own priced usage, piece by piece.
    if (p.fromTeam !== null && p.fromTeam === p.team) {
      // its own records: the invoice's dollars for them against their priced cost
      f.ownBilledBasis = f.ownBilledBasis.plus(p.basis);
      add(f, 'unexplained', p.unexplained);
      add(f, p.cause ?? 'cell_causes', p.exact.minus(p.basis).minus(p.unexplained));
    } else {
      // someone else's dollars (untagged spend, unmatched lines, fees, disputes, other teams' retries)
      add(f, p.fromTeam !== null && p.component === 'retry' ? 'retries_of_other_teams' : (p.cause ?? p.component), p.exact);
      if (p.fromTeam !== null) {
        // ... and, for the team whose records they are, priced usage charged elsewhere by policy
        const owner = get(p.fromTeam, null);
        owner.ownBilledBasis = owner.ownBilledBasis.plus(p.basis);
        add(owner, 'retries_to_bucket', p.basis.negated());
      }
    }
  }
  for (const r of rows) {
    const f = get(r.team, r.cost_center);
    f.allocated = f.allocated.plus(r.amount);
  }
  return [...teams.values()].sort((a, b) => (a.team < b.team ? -1 : a.team > b.team ? 1 : 0));
}

export interface TeamGateFacts {
  /** gateway keys the team's records used that have no owner in the key map */
  keysWithoutOwner: string[];
  /** the team is in the owners file with a cost center */
  hasCostCenter: boolean;
}

export interface TeamSummary {
  team: string;
  cost_center: string | null;
  allocated: Decimal;
  priced_cost: Decimal;
  attributable_share: Decimal | null;
  variance_share: Decimal | null;
  untagged_exposure: Decimal;
  unexplained_exposure: Decimal;
  mode: 'showback' | 'chargeback';
  mode_reason: string;
}

const pct = (d: Decimal) => `${d.times(100).toDecimalPlaces(1, Decimal.ROUND_HALF_UP).toFixed(1)}%`;

/** Confidence and mode of one team: chargeback only when every gate of the policy passes. */
export function teamSummary(f: TeamFigures, facts: TeamGateFacts, policy: AllocationPolicy): TeamSummary {
  const gates = policy.chargeback;
  const attributableShare = f.gross.greaterThan(0) ? Decimal.min(f.attributable.dividedBy(f.gross), 1).toDecimalPlaces(6, Decimal.ROUND_HALF_UP) : null;
  const varianceShare = f.ownBasis.greaterThan(0) ? f.varianceAbs.dividedBy(f.ownBasis).toDecimalPlaces(6, Decimal.ROUND_HALF_UP) : null;
  const minAttributable = new Decimal(gates.min_attributable_share);
  const maxVariance = new Decimal(gates.max_variance_share);
  const failed: string[] = [];
  const passed: string[] = [];
  if (!gates.enabled) failed.push('chargeback is disabled by the policy');
  if (attributableShare === null) failed.push('no usage charged to the team');
  else if (attributableShare.lessThan(minAttributable)) failed.push(`attributable ${pct(attributableShare)} < ${pct(minAttributable)}`);
  else passed.push(`attributable ${pct(attributableShare)} ≥ ${pct(minAttributable)}`);
  if (attributableShare !== null) {
    if (varianceShare === null) failed.push('no priced records of its own to measure variance on');
    else if (!varianceShare.lessThan(maxVariance)) failed.push(`variance ${pct(varianceShare)} ≥ ${pct(maxVariance)}`);
    else passed.push(`variance ${pct(varianceShare)} < ${pct(maxVariance)}`);
  }
  if (gates.require_key_owners) {
    if (facts.keysWithoutOwner.length > 0) {
      const keys = facts.keysWithoutOwner.slice().sort();
      failed.push(`gateway key${keys.length > 1 ? 's' : ''} without a named owner: ${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ` and ${keys.length - 5} more` : ''}`);
    } else passed.push('every gateway key it uses has an owner');
  }
  if (gates.require_cost_center) {
    if (!facts.hasCostCenter) failed.push('no cost center in the owners file');
    else passed.push('has a cost center');
  }
  const chargeback = failed.length === 0;
  return {
    team: f.team,
    cost_center: f.costCenter,
    allocated: f.allocated,
    priced_cost: f.pricedCost,
    attributable_share: attributableShare,
    variance_share: varianceShare,
    untagged_exposure: f.untaggedExposure,
    unexplained_exposure: f.unexplainedExposure,
    mode: chargeback ? 'chargeback' : 'showback',
    mode_reason: chargeback ? `chargeback: ${passed.join('; ')}` : `showback: ${failed.join('; ')}`,
  };
}
