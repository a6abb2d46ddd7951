import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { money, toSql } from '../money.ts';
import { periodBounds, type Period } from '../period.ts';
import type { AllocationPolicy } from '../allocate/policy.ts';
import { runFileIds } from '../ingest/files-that-count.ts';
import { amortiseCommitment, type CommitmentCharge } from './amortise.ts';
import { saveCommitmentHours, selectCommitmentBills, selectCommitments, selectCommitmentUsage, type CommitmentHourText } from './queries.ts';

/**
 * The commitments part of a run's allocation: loads what each invoice billed under each
 * commitment and the ledger records that ran on it, amortises it hour by hour (amortise.ts),
 * saves the hours (run_commitment_hour) and returns the owners' charges for the allocation.
 */
export async function amortiseCommitments(
  db: Kysely<Database>,
  input: { runId: string; period: Period; policy: AllocationPolicy; costCenters: ReadonlyMap<string, string | null> },
): Promise<{ charges: CommitmentCharge[]; notes: string[] }> {
  const bills = await selectCommitmentBills(db, input.period);
  if (bills.length === 0) {
    await saveCommitmentHours(db, input.runId, []);
    return { charges: [], notes: [] };
  }
  const ids = [...new Set(bills.map((b) => b.commitment_id))];
  const commitments = new Map((await selectCommitments(db, ids)).map((c) => [c.id, c]));
  const ledgerFileIds = await runFileIds(db, input.runId, 'ledger');
  const usage = await selectCommitmentUsage(db, { period: input.period, ledgerFileIds, commitmentIds: ids });
  const period = periodBounds(input.period);

  const charges: CommitmentCharge[] = [];
  const notes: string[] = [];
  const hours: CommitmentHourText[] = [];
  for (const bill of bills) {
    const c = commitments.get(bill.commitment_id)!;
    const result = amortiseCommitment({
      terms: {
        id: c.id,
        provider: c.provider,
        model: c.model,
        deployment: c.deployment,
        capacityPerHour: c.capacity_per_hour === null ? null : money(c.capacity_per_hour),
        effectiveFrom: new Date(c.effective_from),
        effectiveTo: new Date(c.effective_to),
      },
      invoiceId: bill.invoice_id,
      billed: money(bill.amount),
      period,
      usage: usage
        .filter((u) => u.commitment_id === c.id)
        .map((u) => ({ hour: u.hour, team: u.team, costCenter: u.cost_center, service: u.service, workflow: u.workflow, tokens: money(u.tokens), records: Number(u.records) })),
      policy: input.policy,
      costCenters: input.costCenters,
    });
    charges.push(...result.charges.map((ch) => ({ ...ch, provider: bill.provider })));
    notes.push(...result.notes);
    hours.push(
      ...result.hours.map((h) => ({
        commitment_id: c.id,
        provider: bill.provider,
        invoice_id: bill.invoice_id,
        hour: h.hour,
        amount: toSql(h.amount),
        used: toSql(h.used),
        idle: toSql(h.idle),
        tokens: toSql(h.tokens),
        records: h.records,
        utilisation: toSql(h.utilisation.toDecimalPlaces(6)),
      })),
    );
  }
  await saveCommitmentHours(db, input.runId, hours);
  return { charges, notes };
}
