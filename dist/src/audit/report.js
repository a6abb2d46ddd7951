import { Decimal, money, toCents } from "../money.js";
import { CHECKLIST_FIELDS, FINDINGS } from "./checklist.js";
import { teamReadiness } from "./readiness.js";
export function percentOf(part, whole) {
    if (!whole.greaterThan(0))
        return '0.00';
    return part.dividedBy(whole).times(100).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2);
}
function gaps(row, onlyMissing) {
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
export function buildAuditReport(input) {
    const all = input.completeness.find((r) => r.dimension === 'all');
    const emptyAll = { dimension: 'all', value: '(all)', records: '0', cost: '0' };
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
            dimension: r.dimension,
            value: r.value,
            records: r.records,
            cost: toCents(money(r.cost)),
            missing: gaps(r, true),
        })),
        findings: input.findings.map((f) => ({
            finding: f.finding,
            explanation: FINDINGS[f.finding],
            subject: f.subject,
            records: f.records,
            at_stake: toCents(money(f.at_stake)),
            sample_request_ids: f.sample_request_ids,
            detail: centsInDetail(f.detail),
        })),
        readiness: input.teams.map((t) => teamReadiness({
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
        }, input.thresholds)),
    };
}
// jsonb turns numerics into JSON numbers; money in the detail goes back to cent strings.
function centsInDetail(detail) {
    const out = {};
    for (const [key, value] of Object.entries(detail)) {
        out[key] = key.endsWith('at_stake') && (typeof value === 'number' || typeof value === 'string') ? toCents(money(String(value))) : value;
    }
    return out;
}
