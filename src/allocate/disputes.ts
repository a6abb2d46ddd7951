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

/**
 * Why a team disputes a charge, as the dispute workbook offers it (a dropdown) and its import
 * reads it back: the code, and what it means.
 */
export const DISPUTE_REASON_CODES = {
  not_ours: 'the records are not ours (another team’s tag or key)',
  belongs_elsewhere: 'untagged spend, invoice lines or fees that belong to another team',
  wrong_price: 'priced or billed at the wrong rate',
  duplicate: 'billed or logged twice',
  retry_or_outage: 'failed attempts or retries caused by a provider outage',
  other: 'anything else (say what in the explanation)',
} as const;

export type DisputeReasonCode = keyof typeof DISPUTE_REASON_CODES;

export function isDisputeReasonCode(text: string): text is DisputeReasonCode {
  return Object.hasOwn(DISPUTE_REASON_CODES, text);
}
