import type { Kysely } from 'kysely';
import { UserError } from '../command-context.ts';
import type { Database } from '../db/schema.ts';
import type { Period } from '../period.ts';
import { closePeriodRow, selectCurrentRun, selectPeriod, tryLockPeriod, unlockPeriod } from './queries.ts';

export interface CloseResult {
  period: string;
  status: 'closed';
  closed_by_run: string;
  already_closed: boolean;
}

/**
 * Closes a period after its current run. Holds the period's run lock meanwhile, so a run that
 * is still going cannot become current after the close without --reopen. `by` is recorded as who
 * closed it (the HTTP token's name, or the OS user of `recon close`).
 */
/**
 * `onRun`: the run the caller checked (the month-end job closes on the run it just made and wrote
 * the workbooks of); when another run became current meanwhile, the close is refused rather than
 * landing on numbers nobody looked at.
 */
export async function closePeriod(db: Kysely<Database>, period: Period, by: string | null = null, onRun?: string): Promise<CloseResult> {
  return db.connection().execute(async (conn) => {
    if (!(await tryLockPeriod(conn, period))) {
      throw new UserError(`period ${period} is being reconciled right now`, 'wait for the run to finish, then close the period');
    }
    try {
      const row = await selectPeriod(conn, period);
      if (row?.status === 'closed') return { period, status: 'closed', closed_by_run: row.closed_by_run ?? '', already_closed: true };
      const current = await selectCurrentRun(conn, period);
      if (!current) {
        throw new UserError(`period ${period} has no succeeded run to close on`, `run it first: recon run --period ${period}`);
      }
      if (onRun !== undefined && current.id !== onRun) {
        throw new UserError(`period ${period}: run ${current.id} became current after run ${onRun}, which was to be closed`, `check run ${current.id} (recon diff --period ${period}), then close the period on it`);
      }
      await closePeriodRow(conn, period, current.id, by);
      return { period, status: 'closed', closed_by_run: current.id, already_closed: false };
    } finally {
      await unlockPeriod(conn, period).catch(() => undefined);
    }
  });
}
