// Schedule arithmetic: pure, every function takes `now` (or an instant) and the schedule settings.
// No clock, no timers: the worker asks these functions what is due.

import type { Period } from '../src/period.ts';
import { addBusinessDays, parsePeriod, periodDays } from '../src/period.ts';

export type JobKind = 'nightly' | 'month-end-close';

export interface ScheduleSettings {
  timezone: string;
  /** 5-field cron expression of the nightly job (minute hour day-of-month month day-of-week) */
  nightly: string;
  /** HH:MM wall-clock time in `timezone` of the month-end close */
  monthEndTime: string;
  /** the close runs on this business day (Mon–Fri) of the month after the period */
  monthEndBusinessDay: number;
}

/** The schedule table: what each job does and when. */
export const JOBS: Record<JobKind, { description: string; when: (s: ScheduleSettings) => string }> = {
  nightly: {
    description: 'ingest new inbox files, then reconcile the month to date (the month holding yesterday)',
    when: (s) => `cron "${s.nightly}" in ${s.timezone}`,
  },
  'month-end-close': {
    description: 'final run of the previous month, its workbooks, and the period closed',
    when: (s) => `business day ${s.monthEndBusinessDay} of each month at ${s.monthEndTime} ${s.timezone}`,
  },
};

export const JOB_KINDS = Object.keys(JOBS) as JobKind[];

// Cron --------------------------------------------------------------------------

interface CronFields {
  minute: Set<number>;
  hour: Set<number>;
  day: Set<number>;
  month: Set<number>;
  weekday: Set<number>;
  dayRestricted: boolean;
  weekdayRestricted: boolean;
}

function parseField(text: string, min: number, max: number, name: string): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^(\*|\d+(?:-\d+)?)(?:\/(\d+))?$/.exec(part);
    if (!match) throw new Error(`cron ${name} field "${text}" is not valid`);
    const [, range, stepText] = match;
    const step = stepText ? Number(stepText) : 1;
    let lo = min;
    let hi = max;
    if (range !== '*') {
      const [a, b] = range!.split('-').map(Number) as [number, number | undefined];
      lo = a;
      hi = b ?? (stepText ? max : a);
    }
    if (lo < min || hi > max || lo > hi || step < 1) throw new Error(`cron ${name} field "${text}" is out of range ${min}-${max}`);
    for (let v = lo; v <= hi; v += step) values.add(name === 'day-of-week' && v === 7 ? 0 : v);
  }
  return values;
}

export function parseCron(expression: string): CronFields {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`cron expression "${expression}" must have 5 fields: minute hour day-of-month month day-of-week`);
  const [m, h, d, mo, w] = parts as [string, string, string, string, string];
  return {
    minute: parseField(m, 0, 59, 'minute'),
    hour: parseField(h, 0, 23, 'hour'),
    day: parseField(d, 1, 31, 'day-of-month'),
    month: parseField(mo, 1, 12, 'month'),
    weekday: parseField(w, 0, 7, 'day-of-week'),
    dayRestricted: d !== '*',
    weekdayRestricted: w !== '*',
  };
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock reading of `instant` in `timezone`. */
export function wallClock(instant: Date, timezone: string): WallClock {
  let format = formatters.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'short',
    });
    formatters.set(timezone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, p.value]));
  const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
    weekday: weekdays.indexOf(String(parts.weekday)),
  };
}

/** The instant when the wall clock in `timezone` reads the given local time (first one, in a DST overlap). */
export function zonedTime(year: number, month: number, day: number, hour: number, minute: number, timezone: string): Date {
  const target = Date.UTC(year, month - 1, day, hour, minute);
  let guess = target;
  for (let i = 0; i < 3; i++) {
    const w = wallClock(new Date(guess), timezone);
    const seen = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
    if (seen === target) return new Date(guess);
    guess += target - seen;
  }
  // The local time does not exist (skipped by a DST jump): the instant just after the gap.
  return new Date(guess);
}

function cronMatchesDay(fields: CronFields, w: WallClock): boolean {
  if (!fields.month.has(w.month)) return false;
  const dayOk = fields.day.has(w.day);
  const weekdayOk = fields.weekday.has(w.weekday);
  // Vixie cron: when both day fields are restricted, either one matching is enough.
  if (fields.dayRestricted && fields.weekdayRestricted) return dayOk || weekdayOk;
  return dayOk && weekdayOk;
}

const MINUTE = 60_000;

/** The first time strictly after `after` that the cron expression fires in `timezone`. */
export function nextCronTime(expression: string, after: Date, timezone: string): Date {
  const fields = parseCron(expression);
  let t = Math.floor(after.getTime() / MINUTE) * MINUTE + MINUTE;
  for (let guard = 0; guard < 200_000; guard++) {
    const w = wallClock(new Date(t), timezone);
    if (!cronMatchesDay(fields, w)) {
      t += (24 * 60 - (w.hour * 60 + w.minute)) * MINUTE;
    } else if (!fields.hour.has(w.hour)) {
      t += (60 - w.minute) * MINUTE;
    } else if (!fields.minute.has(w.minute) || isRepeatedReading(t, w, timezone)) {
      t += MINUTE;
    } else {
      return new Date(t);
    }
  }
  throw new Error(`cron expression "${expression}" never fires`);
}

/**
 * When the clocks go back, an hour of wall-clock readings happens twice. A job fires at the first
 * of the two only — node-cron, which fires the worker's jobs, does the same (test/jobs/schedule.test.ts
 * ties the two over a year of a DST time zone). Clocks move by 30, 60 or 120 minutes.
 */
function isRepeatedReading(t: number, w: WallClock, timezone: string): boolean {
  return [30, 60, 120].some((shift) => {
    const earlier = wallClock(new Date(t - shift * MINUTE), timezone);
    return earlier.day === w.day && earlier.month === w.month && earlier.hour === w.hour && earlier.minute === w.minute;
  });
}

/** Every firing in (from, to]. */
export function cronTimesBetween(expression: string, from: Date, to: Date, timezone: string, limit = 1000): Date[] {
  const times: Date[] = [];
  let t = nextCronTime(expression, from, timezone);
  while (t.getTime() <= to.getTime() && times.length < limit) {
    times.push(t);
    t = nextCronTime(expression, t, timezone);
  }
  return times;
}

// Periods and business days ----------------------------------------------------------

/** The month the nightly run reconciles: the one holding the (UTC) day before it fires. */
export function nightlyPeriod(scheduledFor: Date): Period {
  return parsePeriod(new Date(scheduledFor.getTime() - 86_400_000).toISOString().slice(0, 7));
}

/** YYYY-MM-DD of the Nth Monday–Friday of the month after `period` (no holiday calendar). */
export function monthEndCloseDate(period: Period, businessDay: number): string {
  // the Nth business day of the next month is the Nth business day after this month's last day
  return addBusinessDays(periodDays(period).last, businessDay);
}

/** The instant of the month-end close of `period`. */
export function monthEndCloseTime(period: Period, settings: ScheduleSettings): Date {
  const [y, m, d] = monthEndCloseDate(period, settings.monthEndBusinessDay).split('-').map(Number) as [number, number, number];
  const [hh, mm] = settings.monthEndTime.split(':').map(Number) as [number, number];
  return zonedTime(y, m, d, hh, mm, settings.timezone);
}

function addMonths(period: Period, months: number): Period {
  const [y, m] = period.split('-').map(Number) as [number, number];
  const index = y * 12 + (m - 1) + months;
  return parsePeriod(`${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`);
}

export interface ScheduledRun {
  job: JobKind;
  scheduledFor: Date;
  /** the period the run works on */
  period: Period;
}

/** Month-end closes in (from, to], oldest first. */
export function monthEndClosesBetween(from: Date, to: Date, settings: ScheduleSettings): ScheduledRun[] {
  const runs: ScheduledRun[] = [];
  // A close happens in the month after its period, within the first ~2 weeks: start two months back.
  let period = addMonths(parsePeriod(from.toISOString().slice(0, 7)), -2);
  for (let guard = 0; guard < 1200; guard++) {
    const at = monthEndCloseTime(period, settings);
    if (at.getTime() > to.getTime()) break;
    if (at.getTime() > from.getTime()) runs.push({ job: 'month-end-close', scheduledFor: at, period });
    period = addMonths(period, 1);
  }
  return runs;
}

/** The next run of each job strictly after `now`. */
export function nextRuns(now: Date, settings: ScheduleSettings): ScheduledRun[] {
  const nightlyAt = nextCronTime(settings.nightly, now, settings.timezone);
  const closes = monthEndClosesBetween(now, new Date(now.getTime() + 62 * 86_400_000), settings);
  const runs: ScheduledRun[] = [{ job: 'nightly', scheduledFor: nightlyAt, period: nightlyPeriod(nightlyAt) }];
  if (closes[0]) runs.push(closes[0]);
  return runs;
}

/**
 * What a worker starting at `now` should catch up on, given the last scheduled time each job
 * was run for (undefined = never ran: nothing was missed). Nightly: only the latest missed
 * firing (one month-to-date run covers all the missed nights). Month-end: every missed close,
 * oldest first (each closes a different month).
 */
export function missedRuns(lastScheduled: Partial<Record<JobKind, Date>>, now: Date, settings: ScheduleSettings): ScheduledRun[] {
  const missed: ScheduledRun[] = [];
  const lastNightly = lastScheduled.nightly;
  if (lastNightly) {
    const times = cronTimesBetween(settings.nightly, lastNightly, now, settings.timezone, 100_000);
    const latest = times.at(-1);
    if (latest) missed.push({ job: 'nightly', scheduledFor: latest, period: nightlyPeriod(latest) });
  }
  const lastClose = lastScheduled['month-end-close'];
  if (lastClose) missed.push(...monthEndClosesBetween(lastClose, now, settings));
  return missed;
}

/** The run of `job` due at `now` (fired within the last two minutes), if any. */
export function dueAt(job: JobKind, now: Date, settings: ScheduleSettings): ScheduledRun | undefined {
  const from = new Date(now.getTime() - 2 * MINUTE);
  if (job === 'nightly') {
    const at = cronTimesBetween(settings.nightly, from, now, settings.timezone).at(-1);
    return at ? { job, scheduledFor: at, period: nightlyPeriod(at) } : undefined;
  }
  return monthEndClosesBetween(from, now, settings).at(-1);
}
