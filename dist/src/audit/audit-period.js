import { money } from "../money.js";
import { selectCurrentRunId } from "../budget/queries.js";
import { selectAuditTotals, selectCompleteness, selectFindings, selectRunPricedCost, selectRunVarianceShares, selectTeamEvidence, withAuditTable, } from "./queries.js";
import { DEFAULT_THRESHOLDS } from "./readiness.js";
import { buildAuditReport } from "./report.js";
// Enough request ids to find the pattern in the gateway's logs, few enough to read.
export const DEFAULT_SAMPLES = 5;
/**
 * The evidence audit of a period's ledger: load (one pass over the period's partition into a
 * temporary table, then set-based aggregates), compute (pure report), nothing saved.
 * Needs no invoice and no run; uses the period's current run for variance shares when there is one.
 */
export async function auditPeriod(db, input) {
    const samples = input.samples ?? DEFAULT_SAMPLES;
    const loaded = await withAuditTable(db, { period: input.period, keyOwners: input.keyOwners, ledgerFileIds: input.ledgerFileIds }, async (trx, table) => {
        const runId = input.runId ?? (await selectCurrentRunId(trx, input.period)) ?? null;
        return {
            runId,
            totals: await selectAuditTotals(trx, table),
            completeness: await selectCompleteness(trx, table),
            findings: await selectFindings(trx, table, input.period, samples, input.ledgerFileIds),
            teams: await selectTeamEvidence(trx, table),
            varianceShares: runId ? await selectRunVarianceShares(trx, runId) : [],
            runPricedCost: runId ? await selectRunPricedCost(trx, runId) : null,
        };
    });
    return buildAuditReport({
        period: input.period,
        totals: loaded.totals,
        completeness: loaded.completeness,
        findings: loaded.findings,
        teams: loaded.teams,
        varianceShares: new Map(loaded.varianceShares.filter((v) => v.variance_share !== null).map((v) => [v.team, money(v.variance_share)])),
        thresholds: input.thresholds ?? DEFAULT_THRESHOLDS,
        currentRunId: loaded.runId,
        currentRunPricedCost: loaded.runPricedCost,
    });
}
