import { Decimal, ZERO, sum } from '../money.ts';
import type { AllocationPolicy } from '../allocate/policy.ts';

/**
 * Amortisation of a commitment, pure (docs/commitments.md):
 * - what the invoice billed under the commitment (its matched flat lines, per invoice) is spread
 *   evenly over the commitment's hours in the period (its effective range cut to the month);
 * - each hour's used part is its utilisation: tokens served ÷ the commitment's capacity per hour
 *   (capped at 1), or, when the commitment declares no capacity, 1 for an hour in which any ledger
 *   record ran on it and 0 for an hour with none; the rest of the hour is idle;
 * - the used part goes to the owners by their share of the tokens (input + output) that ran on
 *   the commitment in that hour (by records when the hour's records logged no tokens);
 * - the idle part follows the policy's `commitments.idle`: share (by owners' token share over
 *   the month), bucket (the policy's platform bucket) or separate (its own owner line,
 *   `commitments.idle_owner`).
 * Amounts stay exact; the allocation rounds them to the cent with the rest of the invoice.
 */

export interface CommitmentTerms {
  id: string;
  provider: string;
  model: string | null;
  deployment: string | null;
  capacityPerHour: Decimal | null;
  effectiveFrom: Date;
  effectiveTo: Date;
}

/** Ledger records that ran on a commitment, per hour and owner. */
export interface HourUsage {
  /** ISO instant of the hour's start */
  hour: string;
  team: string | null;
  costCenter: string | null;
  service: string | null;
  workflow: string | null;
  tokens: Decimal;
  records: number;
}

export interface CommitmentHour {
  hour: string;
  amount: Decimal;
  used: Decimal;
  idle: Decimal;
  tokens: Decimal;
  records: number;
  utilisation: Decimal;
}

export interface CommitmentCharge {
  provider: string;
  invoiceId: string;
  commitmentId: string;
  team: string;
  costCenter: string | null;
  service: string | null;
  workflow: string | null;
  model: string | null;
  component: 'commitment' | 'idle_capacity';
  /** the team whose usage the charge follows (null: idle kept in a bucket or its own line, or untagged usage) */
  fromTeam: string | null;
  exact: Decimal;
  rule: string;
}

export interface Amortisation {
  hours: CommitmentHour[];
  charges: CommitmentCharge[];
  notes: string[];
}

const HOUR_MS = 3_600_000;

/** Hour starts (ISO) of [max(start, from), min(end, to)), whole hours only. */
export function commitmentHours(period: { start: Date; end: Date }, terms: Pick<CommitmentTerms, 'effectiveFrom' | 'effectiveTo'>): string[] {
  const from = Math.ceil(Math.max(period.start.getTime(), terms.effectiveFrom.getTime()) / HOUR_MS) * HOUR_MS;
  const to = Math.min(period.end.getTime(), terms.effectiveTo.getTime());
  const hours: string[] = [];
  for (let t = from; t + HOUR_MS <= to; t += HOUR_MS) hours.push(new Date(t).toISOString());
  return hours;
}

const ownerKey = (u: Pick<HourUsage, 'team' | 'costCenter' | 'service' | 'workflow'>) => [u.team ?? '', u.costCenter ?? '', u.service ?? '', u.workflow ?? ''].join('\u0000');

export function amortiseCommitment(input: {
  terms: CommitmentTerms;
  invoiceId: string;
  /** what the invoice billed under the commitment (exact) */
  billed: Decimal;
  period: { start: Date; end: Date };
  usage: readonly HourUsage[];
  policy: AllocationPolicy;
  costCenters: ReadonlyMap<string, string | null>;
}): Amortisation {
  const { terms, invoiceId, billed, policy, costCenters } = input;
  const notes: string[] = [];
  const bucket = policy.platform_bucket;
  const model = terms.model ?? terms.deployment;
  const base = { provider: terms.provider, invoiceId, commitmentId: terms.id, model };
  let hourList = commitmentHours(input.period, terms);
  if (hourList.length === 0) {
    // billed in the month yet in effect for none of its hours: one hour at the month's start holds it, all idle
    notes.push(`commitment ${terms.id}: billed ${billed.toFixed(2)} on invoice ${invoiceId} but in effect for no hour of the period; counted as idle`);
    hourList = [input.period.start.toISOString()];
  }
  // every hour the same share; the last takes what division left so the hours add back exactly
  const perHour = billed.dividedBy(hourList.length);
  const lastHour = billed.minus(perHour.times(hourList.length - 1));
  const byHour = new Map<string, HourUsage[]>();
  for (const u of input.usage) {
    const list = byHour.get(u.hour) ?? [];
    list.push(u);
    byHour.set(u.hour, list);
  }

  const used = new Map<string, { owner: HourUsage; exact: Decimal }>();
  const monthWeight = new Map<string, { owner: HourUsage; weight: Decimal }>();
  const hours: CommitmentHour[] = [];
  hourList.forEach((hour, index) => {
    const amount = index === hourList.length - 1 ? lastHour : perHour;
    const owners = (byHour.get(hour) ?? []).slice().sort((a, b) => (ownerKey(a) < ownerKey(b) ? -1 : ownerKey(a) > ownerKey(b) ? 1 : 0));
    const tokens = sum(owners.map((o) => o.tokens));
    const records = owners.reduce((n, o) => n + o.records, 0);
    const utilisation = terms.capacityPerHour ? Decimal.min(tokens.dividedBy(terms.capacityPerHour), 1) : records > 0 ? new Decimal(1) : ZERO;
    const usedPart = amount.times(utilisation);
    hours.push({ hour, amount, used: usedPart, idle: amount.minus(usedPart), tokens, records, utilisation });
    const byTokens = tokens.greaterThan(0);
    const total = byTokens ? tokens : new Decimal(records);
    if (total.isZero()) return;
    for (const o of owners) {
      const weight = byTokens ? o.tokens : new Decimal(o.records);
      const key = ownerKey(o);
      const u = used.get(key) ?? { owner: o, exact: ZERO };
      u.exact = u.exact.plus(usedPart.times(weight).dividedBy(total));
      used.set(key, u);
      const m = monthWeight.get(key) ?? { owner: o, weight: ZERO };
      m.weight = m.weight.plus(o.tokens.greaterThan(0) ? o.tokens : ZERO);
      monthWeight.set(key, m);
    }
  });

  const charges: CommitmentCharge[] = [];
  const ownerCharge = (o: HourUsage, component: CommitmentCharge['component'], exact: Decimal, what: string): CommitmentCharge =>
    o.team === null
      ? { ...base, team: bucket, costCenter: costCenters.get(bucket) ?? null, service: o.service, workflow: o.workflow, component, fromTeam: null, exact, rule: `${what} of untagged records kept in the ${bucket} bucket` }
      : { ...base, team: o.team, costCenter: o.costCenter ?? costCenters.get(o.team) ?? null, service: o.service, workflow: o.workflow, component, fromTeam: o.team, exact, rule: what };
  for (const [, u] of [...used].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    charges.push(ownerCharge(u.owner, 'commitment', u.exact, `used capacity of commitment ${terms.id}: each hour's used part by the owner's share of the tokens run on it that hour`));
  }

  // idle: what the used charges leave of the bill, so the charges add back to it exactly
  const idle = billed.minus(sum(charges.map((c) => c.exact)));
  if (!idle.isZero()) {
    const toOwner = (team: string, why: string): CommitmentCharge => ({ ...base, team, costCenter: costCenters.get(team) ?? null, service: null, workflow: null, component: 'idle_capacity', fromTeam: null, exact: idle, rule: `idle capacity of commitment ${terms.id} ${why}` });
    const mode = policy.commitments.idle;
    const weights = [...monthWeight.values()].filter((m) => m.weight.greaterThan(0));
    const totalWeight = sum(weights.map((m) => m.weight));
    if (mode === 'separate') charges.push(toOwner(policy.commitments.idle_owner, `on its own owner line ${policy.commitments.idle_owner} (policy commitments.idle: separate)`));
    else if (mode === 'bucket') charges.push(toOwner(bucket, `kept in the ${bucket} bucket (policy commitments.idle: bucket)`));
    else if (totalWeight.isZero()) {
      notes.push(`commitment ${terms.id}: idle ${idle.toFixed(2)} kept in the ${bucket} bucket: no tokens ran on it this month to share it by`);
      charges.push(toOwner(bucket, `kept in the ${bucket} bucket (policy commitments.idle: share, but nothing ran on it this month)`));
    } else {
      for (const m of weights.sort((a, b) => (ownerKey(a.owner) < ownerKey(b.owner) ? -1 : 1))) {
        charges.push(ownerCharge(m.owner, 'idle_capacity', idle.times(m.weight).dividedBy(totalWeight), `idle capacity of commitment ${terms.id} shared by the owner's share of its tokens over the month (policy commitments.idle: share)`));
      }
    }
  }
  return { hours, charges, notes };
}
