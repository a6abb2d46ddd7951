import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { money } from '../money.ts';
import type { Period } from '../period.ts';
import { selectCurrentRunId } from '../budget/queries.ts';
import {
  selectAuditTotals,
  selectCompleteness,
  selectFindings,
  selectRunPricedCost,
  selectRunVarianceShares,
  selectTeamEvidence,
  withAuditTable,
  type KeyOwner,
} from './queries.ts';
import { DEFAULT_THRESHOLDS, type ReadinessThresholds } from './readiness.ts';
import { buildAuditReport, type AuditReport } from './report.ts';

// Enough request ids to find the pattern in the gateway's logs, few enough to read.
export const DEFAULT_SAMPLES = 5;

/**
 * The evidence audit of a period's ledger: load (one pass over the period's partition into a
 * temporary table, then set-based aggregates), compute (pure report), nothing saved.
 * Needs no invoice and no run; uses the period's current run for variance shares when there is one.
 */
export async function auditPeriod(
  db: Kysely<Database>,
  input: { period: Period; keyOwners?: KeyOwner[]; samples?: number; thresholds?: ReadinessThresholds; runId?: string; ledgerFileIds?: readonly string[] },
): Promise<AuditReport> {
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
    varianceShares: new Map(loaded.varianceShares.filter((v) => v.variance_share !== null).map((v) => [v.team, money(v.variance_share!)])),
    thresholds: input.thresholds ?? DEFAULT_THRESHOLDS,
    currentRunId: loaded.runId,
    currentRunPricedCost: loaded.runPricedCost,
  });
}
