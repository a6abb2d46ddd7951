import { Decimal } from '../money.ts';

export interface ReadinessThresholds {
  /** at least this share of the team's spend must carry an evidenced owner */
  minAttributableShare: Decimal;
  /** the team's share of unexplained variance must stay below this */
  maxVarianceShare: Decimal;
}

// The allocation policy's chargeback gates: below 95% attributable, or at 2% variance or more,
// a team's bill is still an estimate and stays showback.
export const DEFAULT_THRESHOLDS: ReadinessThresholds = {
  minAttributableShare: new Decimal('0.95'),
  maxVarianceShare: new Decimal('0.02'),
};

/** Reads the gates from a policy object when it carries them (decimal strings), else defaults. */
export function readinessThresholds(policy: unknown): ReadinessThresholds {
  const gates = findGates(policy);
  const read = (value: unknown, fallback: Decimal) => (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? new Decimal(value) : fallback);
  return {
    minAttributableShare: read(gates?.min_attributable_share, DEFAULT_THRESHOLDS.minAttributableShare),
    maxVarianceShare: read(gates?.max_variance_share, DEFAULT_THRESHOLDS.maxVarianceShare),
  };
}

function findGates(policy: unknown): Record<string, unknown> | undefined {
  if (typeof policy !== 'object' || policy === null) return undefined;
  const record = policy as Record<string, unknown>;
  for (const key of ['chargeback', 'gates', 'chargeback_gates']) {
    const value = record[key];
    if (typeof value === 'object' && value !== null) return value as Record<string, unknown>;
  }
  return record;
}

export interface TeamEvidence {
  team: string;
  records: Decimal;
  cost: Decimal;
  attributableRecords: Decimal;
  attributableCost: Decimal;
  unownedKeyRecords: Decimal;
  unownedKeyCost: Decimal;
  keysWithoutOwner: string[];
  /** null when no reconciled run has measured it yet */
  varianceShare: Decimal | null;
}

export type GateStatus = 'pass' | 'fail' | 'unknown';

export interface Gate {
  gate: 'attributable' | 'variance' | 'key_owners';
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
 * Attributable share = cost with an evidenced owner ÷ (the team's cost + untagged cost on
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
  if (attributableStatus === 'fail') reasons.push(`attributable ${pct(attributable!)} is below ${pct(minA)}`);

  const maxV = thresholds.maxVarianceShare;
  const varianceStatus: GateStatus = e.varianceShare === null ? 'unknown' : e.varianceShare.abs().lessThan(maxV) ? 'pass' : 'fail';
  gates.push({ gate: 'variance', status: varianceStatus, value: e.varianceShare?.toFixed() ?? null, threshold: maxV.toFixed() });
  if (varianceStatus === 'fail') reasons.push(`variance share ${pct(e.varianceShare!.abs())} is not below ${pct(maxV)}`);
  if (varianceStatus === 'unknown') reasons.push('variance not measured yet: no reconciled run of the period with this team');

  const keysStatus: GateStatus = e.keysWithoutOwner.length === 0 ? 'pass' : 'fail';
  gates.push({ gate: 'key_owners', status: keysStatus, value: String(e.keysWithoutOwner.length), threshold: '0' });
  if (keysStatus === 'fail') reasons.push(`uses gateway keys with no named owner: ${e.keysWithoutOwner.join(', ')}`);

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
