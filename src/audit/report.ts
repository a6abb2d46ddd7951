import { Decimal, money, toCents } from '../money.ts';
import { CHECKLIST_FIELDS, FINDINGS, type ChecklistField, type FindingKind } from './checklist.ts';
import { teamReadiness, type Readiness, type ReadinessThresholds } from './readiness.ts';
import type { CompletenessRow, FindingRow, TeamEvidenceRow, TotalsRow } from './queries.ts';

export interface FieldGap {
  field: ChecklistField;
  label: string;
  missing_records: string;
  /** percent of the records in scope, two decimals */
  missing_pct: string;
  /** priced cost of the records missing the field, to the cent */
  at_stake: string;
}

export interface DimensionCompleteness {
  dimension: 'team' | 'service' | 'gateway_key' | 'environment';
  value: string;
  records: string;
  cost: string;
  /** only the fields some record of this group lacks; fields not listed are complete */
  missing: FieldGap[];
}

export interface Finding {
  finding: FindingKind;
  explanation: string;
  subject: string;
  records: string;
  at_stake: string;
  sample_request_ids: string[];
  detail: Record<string, unknown>;
}

export interface AuditReport {
  period: string;
  records: string;
  priced_cost: string;
  unpriced_records: string;
  pricing: { method: string; current_run_id: string | null; current_run_priced_cost: string | null };
  checklist: FieldGap[];
  completeness: DimensionCompleteness[];
  findings: Finding[];
  readiness: Readiness[];
}

export function percentOf(part: Decimal, whole: Decimal): string {
  if (!whole.greaterThan(0)) return '0.00';
  return part.dividedBy(whole).times(100).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2);
}

function gaps(row: CompletenessRow, onlyMissing: boolean): FieldGap[] {
  const records = money(row.records);
  return CHECKLIST_FIELDS.map(({ field, label }) => {
    const missing = money(row[`${field}__missing`] ?? '0');
    return {
      field,
      label,
      missing_records: missing.toFixed(),
      missing_pct: percentOf(missing, records),
      at_stake: toCents(money(row[`${field}__at_stake`] ?? '0')),
    };
  }).filter((g) => !onlyMissing || g.missing_records !== '0');
}

/** Assembles the audit from the query results (pure): percentages, cents, verdicts. */
export function buildAuditReport(input: {
  period: string;
  totals: TotalsRow;
  completeness: CompletenessRow[];
  findings: FindingRow[];
  teams: TeamEvidenceRow[];
  varianceShares: Map<string, Decimal>;
  thresholds: ReadinessThresholds;
  currentRunId: string | null;
  currentRunPricedCost: string | null;
}): AuditReport {
  const all = input.completeness.find((r) => r.dimension === 'all');
  const emptyAll = { dimension: 'all', value: '(all)', records: '0', cost: '0' } as CompletenessRow;
  return {
    period: input.period,
    records: input.totals.records,
    priced_cost: toCents(money(input.totals.cost)),
    unpriced_records: input.totals.unpriced_records,
    pricing: {
      method: 'each record priced with the rate card line in effect at its timestamp (alias applied); unpriced records count at $0',
      current_run_id: input.currentRunId,
      current_run_priced_cost: input.currentRunPricedCost === null ? null : toCents(money(input.currentRunPricedCost)),
    },
    checklist: gaps(all ?? emptyAll, false),
    completeness: input.completeness
      .filter((r) => r.dimension !== 'all')
      .map((r) => ({
        dimension: r.dimension as DimensionCompleteness['dimension'],
        value: r.value,
        records: r.records,
        cost: toCents(money(r.cost)),
        missing: gaps(r, true),
      })),
    findings: input.findings.map((f) => ({
      finding: f.finding as FindingKind,
      explanation: FINDINGS[f.finding as FindingKind],
      subject: f.subject,
      records: f.records,
      at_stake: toCents(money(f.at_stake)),
      sample_request_ids: f.sample_request_ids,
      detail: centsInDetail(f.detail),
    })),
    readiness: input.teams.map((t) =>
      teamReadiness(
        {
          team: t.team,
          records: money(t.records),
          cost: money(t.cost),
          attributableRecords: money(t.attributable_records),
          attributableCost: money(t.attributable_cost),
          unownedKeyRecords: money(t.unowned_key_records),
          unownedKeyCost: money(t.unowned_key_cost),
          keysWithoutOwner: t.keys_without_owner,
          costCenter: t.cost_center,
          varianceShare: input.varianceShares.get(t.team) ?? null,
        },
        input.thresholds,
      ),
    ),
  };
}

// jsonb turns numerics into JSON numbers; money in the detail goes back to cent strings.
function centsInDetail(detail: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(detail)) {
    out[key] = key.endsWith('at_stake') && (typeof value === 'number' || typeof value === 'string') ? toCents(money(String(value))) : value;
  }
  return out;
}
