import { addBusinessDays, differenceInBusinessDays, format } from 'date-fns';
/** Business days a team has to dispute its charge after its workbook is issued. */
export const DISPUTE_WINDOW_BUSINESS_DAYS = 5;
/**
 * The day a dispute is due: five business days (Monday–Friday; public holidays are not known to
 * recon) after the UTC day the workbook was issued, or the dispute was opened.
 */
export function disputeDueDate(issuedDay) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(issuedDay);
    if (!match)
        throw new Error(`not a day: ${issuedDay}`);
    // date-fns counts on the local calendar: build the local date of that day, so the time zone of the machine never shifts it.
    const local = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
    return format(addBusinessDays(local, DISPUTE_WINDOW_BUSINESS_DAYS), 'yyyy-MM-dd');
}
/** The UTC calendar day of an instant. */
export function utcDay(instant) {
    return instant.toISOString().slice(0, 10);
}
/** What a listing shows beside the status: open disputes past their due day are overdue. */
export function disputeState(status, dueDate, today) {
    if (status !== 'open')
        return status;
    return dueDate !== null && dueDate < today ? 'open (overdue)' : 'open';
}
/** Business days (Monday–Friday) from `today` to `dueDate`, both UTC days; negative when past due. */
export function businessDaysLeft(today, dueDate) {
    const local = (day) => {
        const [y, m, d] = day.split('-').map(Number);
        return new Date(y, m - 1, d);
    };
    return differenceInBusinessDays(local(dueDate), local(today));
}
