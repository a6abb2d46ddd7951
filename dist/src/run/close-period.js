import { UserError } from "../command-context.js";
import { closePeriodRow, selectCurrentRun, selectPeriod, tryLockPeriod, unlockPeriod } from "./queries.js";
/**
 * Closes a period after its current run. Holds the period's run lock meanwhile, so a run that
 * is still going cannot become current after the close without --reopen.
 */
export async function closePeriod(db, period) {
    return db.connection().execute(async (conn) => {
        if (!(await tryLockPeriod(conn, period))) {
            throw new UserError(`period ${period} is being reconciled right now`, 'wait for the run to finish, then close the period');
        }
        try {
            const row = await selectPeriod(conn, period);
            if (row?.status === 'closed')
                return { period, status: 'closed', closed_by_run: row.closed_by_run ?? '', already_closed: true };
            const current = await selectCurrentRun(conn, period);
            if (!current) {
                throw new UserError(`period ${period} has no succeeded run to close on`, `run it first: recon run --period ${period}`);
            }
            await closePeriodRow(conn, period, current.id);
            return { period, status: 'closed', closed_by_run: current.id, already_closed: false };
        }
        finally {
            await unlockPeriod(conn, period).catch(() => undefined);
        }
    });
}
