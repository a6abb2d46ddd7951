import { Decimal } from '../money.ts';
import { defaultPolicy, type AllocationPolicy } from '../allocate/policy.ts';

export interface ReadinessThresholds {
  /** at least this share of the team's spend must carry an evidenced owner */
  minAttributableShare: Decimal;
  /** the team's share of reconciliation variance must stay below this */
  maxVarianceShare: Decimal;
  requireKeyOwners: boolean;
  requireCostCenter: boolean;
}

/** The allocation policy's chargeback gates, so the audit's verdict and the run's mode agree. */
export function readinessThresholds(policy: AllocationPolicy = defaultPolicy): ReadinessThresholds {
  return {
    minAttributableShare: new Decimal(policy.chargeback.min_attributable_share),
    maxVarianceShare: new Decimal(policy.chargeback.max_variance_share),
    requireKeyOwners: policy.chargeback.require_key_owners,
    requireCostCenter: policy.chargeback.require_cost_center,
  };
}

export const DEFAULT_THRESHOLDS: ReadinessThresholds = readinessThresholds(defaultPolicy);

export interface TeamEvidence {
  team: string;
  records: Decimal;
  cost: Decimal;
  attributableRecords: Decimal;
  attributableCost: Decimal;
  unownedKeyRecords: Decimal;
  unownedKeyCost: Decimal;
  keysWithoutOwner: string[];
  /** the team's cost center in the owners file, null when it has none */
  costCenter: string | null;
  /** null when no reconciled run has measured it yet */
  varianceShare: Decimal | null;
}

export type GateStatus = 'pass' | 'fail' | 'unknown';

export interface Gate {
  gate: 'attributable' | 'variance' | 'key_owners' | 'cost_center';
  status: GateStatus;
  value: string | null;
  threshold: string;
}

export interface Readiness {
  team: string;
  verdict: 'ready' | 'not_ready' | 'pending';
  attributable_share: string | null;
  variance_share: string | null;
  keys_without_owner: string[];
  gates: Gate[];
  reasons: string[];
}

const pct = (share: Decimal) => share.times(100).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2) + '%';

/**
 * Owner-evidenced share (JSON attributable_share, gate 'attributable'; printed as "owner evidenced",
 * so it is not read as the allocation's attributable share: the part of a team's charge from its own
 * tagged, priced, reconciled records) = cost with an evidenced owner ÷ (the team's cost + untagged cost on
 * unowned keys it uses); by record count when nothing is priced. Ready for chargeback when every
 * gate passes; pending when none fails but one is not measured yet (no reconciled run).
 */
export function teamReadiness(e: TeamEvidence, thresholds: ReadinessThresholds = DEFAULT_THRESHOLDS): Readiness {
  const costBase = e.cost.plus(e.unownedKeyCost);
  const recordBase = e.records.plus(e.unownedKeyRecords);
  const attributable = costBase.greaterThan(0)
    ? e.attributableCost.dividedBy(costBase)
    : recordBase.greaterThan(0)
      ? e.attributableRecords.dividedBy(recordBase)
      : null;
  const gates: Gate[] = [];
  const reasons: string[] = [];
  const minA = thresholds.minAttributableShare;
  const attributableStatus: GateStatus = attributable === null ? 'unknown' : attributable.greaterThanOrEqualTo(minA) ? 'pass' : 'fail';
  gates.push({ gate: 'attributable', status: attributableStatus, value: attributable?.toDecimalPlaces(4, Decimal.ROUND_HALF_UP).toFixed(4) ?? null, threshold: minA.toFixed() });
  if (attributableStatus === 'unknown') reasons.push('no records to measure attribution on');
  if (attributableStatus === 'fail') reasons.push(`owner evidenced for ${pct(attributable!)} (below ${pct(minA)})`);

  const maxV = thresholds.maxVarianceShare;
  const varianceStatus: GateStatus = e.varianceShare === null ? 'unknown' : e.varianceShare.abs().lessThan(maxV) ? 'pass' : 'fail';
  gates.push({ gate: 'variance', status: varianceStatus, value: e.varianceShare?.toFixed() ?? null, threshold: maxV.toFixed() });
  if (varianceStatus === 'fail') reasons.push(`variance share ${pct(e.varianceShare!.abs())} is not below ${pct(maxV)}`);
  if (varianceStatus === 'unknown') reasons.push('variance not measured yet: no reconciled run of the period with this team');

  if (thresholds.requireKeyOwners) {
    const keysStatus: GateStatus = e.keysWithoutOwner.length === 0 ? 'pass' : 'fail';
    gates.push({ gate: 'key_owners', status: keysStatus, value: String(e.keysWithoutOwner.length), threshold: '0' });
    if (keysStatus === 'fail') reasons.push(`uses gateway keys with no named owner: ${e.keysWithoutOwner.join(', ')}`);
  }
  if (thresholds.requireCostCenter) {
    const status: GateStatus = e.costCenter ? 'pass' : 'fail';
    gates.push({ gate: 'cost_center', status, value: e.costCenter, threshold: 'named in the owners file' });
    if (status === 'fail') reasons.push('no cost center in the owners file to post a charge to');
  }

  const verdict = gates.some((g) => g.status === 'fail') ? 'not_ready' : gates.some((g) => g.status === 'unknown') ? 'pending' : 'ready';
  return {
    team: e.team,
    verdict,
    attributable_share: gates[0]!.value,
    variance_share: gates[1]!.value,
    keys_without_owner: e.keysWithoutOwner,
    gates,
    reasons,
  };
}
