import type { Kysely } from 'kysely';
import { UserError } from '../command-context.ts';
import type { Database } from '../db/schema.ts';
import type { Period } from '../period.ts';
import { disputeDueDate, disputeState } from './disputes.ts';
import { utcDay } from '../period.ts';
import { insertDispute, resolveDispute, selectDispute, selectKnownTeams, selectWorkbookIssuedAt, type DisputeRow } from './queries.ts';

type Db = Kysely<Database>;

/** A positive USD amount with at most two decimals ("$120.50" allowed), or a UserError. */
export function parseDisputeAmount(text: string | undefined | null, hint = 'e.g. 120.50'): string | null {
  if (text === undefined || text === null || text.trim() === '') return null;
  const cleaned = text.trim().replace(/^\$/, '');
  if (!/^\d+(\.\d{1,2})?$/.test(cleaned) || /^0+(\.0+)?$/.test(cleaned)) {
    throw new UserError(`the amount must be a positive USD amount with at most two decimals (got "${text}")`, hint);
  }
  return cleaned;
}

/**
 * Opens a dispute (the CLI's `recon dispute open` and the web page): the team must be known for
 * the period; it is due five business days after the team's workbook was issued, or after today
 * when none was.
 */
export async function openDispute(
  db: Db,
  input: { period: Period; team: string; reason: string; ref: string | null; amount: string | null; now: Date },
): Promise<{ dispute: DisputeRow; issuedAt: Date | undefined }> {
  const known = await selectKnownTeams(db, input.period);
  if (known.length > 0 && !known.includes(input.team)) {
    throw new UserError(`team "${input.team}" is neither in the owners file nor charged in ${input.period}`, `check the spelling; known teams: ${known.slice(0, 12).join(', ')}`);
  }
  const issuedAt = await selectWorkbookIssuedAt(db, input.period, input.team);
  const dispute = await insertDispute(db, {
    period: input.period,
    team: input.team,
    reason: input.reason,
    ref: input.ref,
    amount: input.amount,
    openedAt: input.now,
    dueDate: disputeDueDate(utcDay(issuedAt ?? input.now)),
  });
  return { dispute, issuedAt };
}

/**
 * Accepts or rejects an open dispute. An accepted one needs an amount (given now or when it was
 * opened); it moves off the team on the next run.
 */
export async function decideDispute(
  db: Db,
  input: { id: string; decision: 'accepted' | 'rejected'; note: string; amount: string | null; now: Date; receivingTeam?: string | null; bucket: string },
): Promise<DisputeRow> {
  const { id } = input;
  if (input.decision === 'rejected' && input.amount !== null) throw new UserError('an amount is only used when accepting', 'leave the amount out');
  const existing = await selectDispute(db, id);
  if (!existing) throw new UserError(`dispute #${id} does not exist`, 'find it with recon dispute list');
  if (existing.status !== 'open') throw new UserError(`dispute #${id} was already ${existing.status}`, 'open a new dispute if there is more to say');
  if (input.decision === 'accepted' && input.amount === null && existing.amount === null) {
    throw new UserError(`dispute #${id} has no amount to move`, `accept it with the amount, e.g. recon dispute resolve ${id} --accept --amount 120.50 --note "…"`);
  }
  const to = input.receivingTeam ?? null;
  if (input.decision === 'rejected' && to !== null) throw new UserError('a receiving team is only named when accepting', 'leave it out');
  if (input.decision === 'accepted') {
    // the amount moves to the named team, else the policy bucket: never back to the disputing team
    const receiver = to ?? input.bucket;
    if (receiver === existing.team) {
      throw new UserError(
        `dispute #${id} is ${existing.team}'s own${to ? '' : ` and ${input.bucket} is the policy bucket, where accepted amounts go by default`}: accepting it would move nothing`,
        `name the team that takes the amount, e.g. recon dispute resolve ${id} --accept --to TEAM --note "…"`,
      );
    }
    if (to !== null) {
      const known = await selectKnownTeams(db, existing.period);
      if (known.length > 0 && !known.includes(to) && to !== input.bucket) {
        throw new UserError(`team "${to}" is neither in the owners file nor charged in ${existing.period}`, `check the spelling; known teams: ${known.slice(0, 12).join(', ')}`);
      }
    }
  }
  const row = await resolveDispute(db, { id, status: input.decision, note: input.note, amount: input.amount, resolvedAt: input.now, receivingTeam: input.decision === 'accepted' ? to : null });
  if (!row) throw new UserError(`dispute #${id} was resolved by someone else meanwhile`, 'see recon dispute list');
  return row;
}

/** A dispute as `--json` and the web page show it. */
export const disputeView = (d: DisputeRow, today: string) => ({
  id: d.id,
  period: d.period,
  team: d.team,
  status: d.status,
  state: disputeState(d.status, d.due_date, today),
  reason: d.reason,
  ref: d.ref,
  amount: d.amount,
  opened_at: new Date(d.opened_at).toISOString(),
  due_date: d.due_date,
  resolved_at: d.resolved_at ? new Date(d.resolved_at).toISOString() : null,
  resolution_note: d.resolution_note,
  applied_in_run: d.applied_in_run,
  receiving_team: d.receiving_team,
});
