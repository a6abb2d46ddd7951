import { addBusinessDays, businessDaysBetween } from '../period.ts';
import { DISPUTE_WINDOW_BUSINESS_DAYS, type DisputeStatus } from '../vocabulary.ts';


/**
 * The day a dispute is due: five business days (Monday–Friday; public holidays are not known to
 * recon) after the UTC day the workbook was issued, or the dispute was opened.
 */
export function disputeDueDate(issuedDay: string): string {
  return addBusinessDays(issuedDay, DISPUTE_WINDOW_BUSINESS_DAYS);
}

/** What a listing shows beside the status: open disputes past their due day are overdue. */
export function disputeState(status: DisputeStatus, dueDate: string | null, today: string): string {
  if (status !== 'open') return status;
  return dueDate !== null && dueDate < today ? 'open (overdue)' : 'open';
}

/** Business days (Monday–Friday) from `today` to `dueDate`, both UTC days; negative when past due. */
export function businessDaysLeft(today: string, dueDate: string): number {
  return businessDaysBetween(today, dueDate);
}
