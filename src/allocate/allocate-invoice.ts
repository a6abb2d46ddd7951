import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { money, toSql } from '../money.ts';
import type { Period } from '../period.ts';
import { allocate, emptyTeamFigures, teamSummary, type AllocationResult, type TeamFigures } from './allocate.ts';
import { chargeBridge } from './charge-bridge.ts';
import { ruleFor, type ToleranceRule } from '../reconcile/tolerance.ts';
import { ZERO } from '../money.ts';
import type { AllocationPolicy } from './policy.ts';
import { amortiseCommitments } from '../commitments/allocate-commitments.ts';
import {
  markDisputesApplied,
  saveAllocations,
  saveTeamSummaries,
  selectAcceptedDisputes,
  selectInvoiceAdjustments,
  selectInvoiceTotals,
  selectKeysWithoutOwner,
  selectOwnPricedUsage,
  selectTeamOwners,
  selectUnmatchedInvoiceAmounts,
  selectUsageShares,
} from './queries.ts';

/** Fills run_allocation and run_team_summary for `runId` under `policy`. */
export async function allocateInvoice(
  db: Kysely<Database>,
  input: { runId: string; period: Period; policy: AllocationPolicy; now: Date; tolerance?: ToleranceRule },
): Promise<AllocationResult> {
  const { runId, period, policy } = input;
  // One connection inside the run's transaction: load one after another.
  const invoices = await selectInvoiceTotals(db, runId, period);
  const usage = await selectUsageShares(db, runId, period, policy);
  const unmatched = await selectUnmatchedInvoiceAmounts(db, runId, period, policy);
  const adjustments = await selectInvoiceAdjustments(db, runId, period);
  const owners = await selectTeamOwners(db);
  const keysWithoutOwner = await selectKeysWithoutOwner(db, runId);
  const disputes = await selectAcceptedDisputes(db, period);
  const ownPriced = await selectOwnPricedUsage(db, runId);

  const costCenters = new Map(owners.map((o) => [o.team, o.cost_center]));
  const commitments = await amortiseCommitments(db, { runId, period, policy, costCenters });
  const result = allocate({
    commitments: commitments.charges,
    policy,
    costCenters,
    invoices: invoices.map((i) => ({ provider: i.provider, invoiceId: i.invoice_id, amount: money(i.amount) })),
    usage: usage.map((u) => ({
      provider: u.provider,
      invoiceId: u.invoice_id,
      team: u.team,
      costCenter: u.cost_center,
      service: u.service,
      workflow: u.workflow,
      model: u.model,
      retry: u.retry,
      priced: u.priced,
      cause: u.cause,
      reconciled: u.reconciled,
      basis: money(u.basis),
      share: money(u.share),
      varianceAbs: money(u.variance_abs),
      unexplained: money(u.unexplained),
    })),
    unmatched: unmatched.map((m) => ({ provider: m.provider, invoiceId: m.invoice_id, model: m.model, amount: money(m.amount), reason: m.reason })),
    adjustments: adjustments.map((a) => ({ provider: a.provider, invoiceId: a.invoice_id, lineType: a.line_type, amount: money(a.amount) })),
    disputes: disputes.map((d) => ({ id: d.id, team: d.team, amount: money(d.amount), reason: d.reason, receivingTeam: d.receiving_team })),
  });

  const missingKeys = new Map(keysWithoutOwner.map((k) => [k.team, k.keys]));
  // A team with priced usage and no charge (its provider sent no invoice) is shown too: charged 0.
  const charged = new Set(result.teams.map((f) => f.team));
  const idle: TeamFigures[] = ownPriced
    .filter((o) => !charged.has(o.team) && !money(o.cost).isZero())
    .map((o) => emptyTeamFigures(o.team, costCenters.get(o.team) ?? o.cost_center));
  const figures = [...result.teams, ...idle].sort((a, b) => (a.team < b.team ? -1 : a.team > b.team ? 1 : 0));
  const ownByTeam = new Map(ownPriced.map((o) => [o.team, money(o.cost)]));
  const summaries = figures.map((f) => ({
    ...teamSummary(f, { keysWithoutOwner: missingKeys.get(f.team) ?? [], hasCostCenter: Boolean(costCenters.get(f.team)) }, policy),
    bridge: chargeBridge(f, ownByTeam.get(f.team) ?? ZERO, input.tolerance ?? ruleFor([], '')),
  }));

  await saveAllocations(
    db,
    runId,
    result.rows.map((r) => ({
      provider: r.provider,
      invoice_id: r.invoice_id,
      team: r.team,
      cost_center: r.cost_center,
      service: r.service,
      workflow: r.workflow,
      model: r.model,
      component: r.component,
      basis: toSql(r.basis),
      amount: r.amount.toFixed(2),
      rule: r.rule,
      cause: r.cause,
      commitment_id: r.commitment_id,
    })),
  );
  await saveTeamSummaries(
    db,
    runId,
    summaries.map(({ bridge, ...s }) => ({
      ...s,
      own_priced_usage: toSql(bridge.own_priced_usage),
      charge_bridge: bridge.by.map((l) => ({ why: l.why, amount: toSql(l.amount) })),
      uncaused: toSql(bridge.uncaused),
      bridge_flagged: bridge.flagged,
      allocated: s.allocated.toFixed(2),
      priced_cost: toSql(s.priced_cost),
      attributable_share: s.attributable_share === null ? null : toSql(s.attributable_share),
      variance_share: s.variance_share === null ? null : toSql(s.variance_share),
      untagged_exposure: toSql(s.untagged_exposure),
      unexplained_exposure: toSql(s.unexplained_exposure),
    })),
  );
  await markDisputesApplied(
    db,
    runId,
    result.disputes.filter((d) => d.applied.greaterThan(0)).map((d) => d.id),
  );
  return { ...result, notes: [...commitments.notes, ...result.notes] };
}
