import { addBusinessDays as addBusinessDaysLocal, differenceInBusinessDays, format } from 'date-fns';

/** A calendar month, 'YYYY-MM'. Made only by parsePeriod. */
export type Period = string & { readonly __period: unique symbol };

const PERIOD_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function parsePeriod(text: string): Period {
  if (!PERIOD_PATTERN.test(text)) throw new Error(`period must be YYYY-MM (got "${text}")`);
  return text as Period;
}

export function isPeriod(text: string): text is Period {
  return PERIOD_PATTERN.test(text);
}

/** Half-open UTC bounds [start, end) of the month. */
export function periodBounds(period: Period): { start: Date; end: Date } {
  const [year, month] = period.split('-').map(Number) as [number, number];
  return { start: new Date(Date.UTC(year, month - 1, 1)), end: new Date(Date.UTC(year, month, 1)) };
}

/** First and last day as 'YYYY-MM-DD' text (the form Postgres `date` is read in). */
export function periodDays(period: Period): { first: string; last: string; count: number } {
  const { start, end } = periodBounds(period);
  const count = Math.round((end.getTime() - start.getTime()) / 86_400_000);
  const last = new Date(end.getTime() - 86_400_000);
  return { first: start.toISOString().slice(0, 10), last: last.toISOString().slice(0, 10), count };
}

export function previousPeriod(period: Period): Period {
  const { start } = periodBounds(period);
  return periodOf(new Date(start.getTime() - 86_400_000));
}

export function periodOf(instant: Date): Period {
  return parsePeriod(instant.toISOString().slice(0, 7));
}

/** [start, end) cut into `parts` ranges of whole UTC days (fewer when the period is shorter). */
export function dayRanges(start: string, end: string, parts: number): [string, string][] {
  const dayMs = 86_400_000;
  const from = new Date(start).getTime();
  const to = new Date(end).getTime();
  const days = Math.max(1, Math.ceil((to - from) / dayMs));
  const count = Math.max(1, Math.min(parts, days));
  const cuts = Array.from({ length: count + 1 }, (_, i) => (i === count ? to : Math.min(to, from + Math.round((days * i) / count) * dayMs)));
  return cuts.slice(1).map((cut, i) => [new Date(cuts[i]!).toISOString(), new Date(cut).toISOString()]);
}

/** The UTC calendar day of an instant (or of a timestamp's text), 'YYYY-MM-DD'. */
export function utcDay(instant: Date | string): string {
  return new Date(instant).toISOString().slice(0, 10);
}

/** A 'YYYY-MM-DD' day as the local midnight date-fns counts on, so the machine's time zone never shifts it. */
function localDate(day: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) throw new Error(`not a day: ${day}`);
  return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
}

/** The day `count` business days (Monday to Friday; public holidays are not known to recon) after `day`. */
export function addBusinessDays(day: string, count: number): string {
  return format(addBusinessDaysLocal(localDate(day), count), 'yyyy-MM-dd');
}

/** Business days (Monday to Friday) from `from` to `to`, both days; negative when `to` is earlier. */
export function businessDaysBetween(from: string, to: string): number {
  return differenceInBusinessDays(localDate(to), localDate(from));
}
