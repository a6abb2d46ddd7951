import { ZERO, sum, type Decimal } from '../money.ts';
import { periodBounds, periodDays, type Period } from '../period.ts';

/** One day of spend, `day` as 'YYYY-MM-DD' (UTC). */
export interface DailySpend {
  day: string;
  amount: Decimal;
}

export type ForecastMethod =
  | 'trailing_7_day_average'
  | 'prior_month_daily_average'
  | 'month_complete'
  | 'no_history'
  | 'month_not_started';

export interface Forecast {
  /** Spend expected for the whole month; null when there is nothing to extend yet. */
  forecast: Decimal | null;
  method: ForecastMethod;
  /** The average daily spend extended over the remaining days. */
  dailyRunRate: Decimal | null;
  /** Whole UTC days of the month before `today` (today itself is still being spent). */
  completeDays: number;
  daysInMonth: number;
  /** How many complete days the run rate averages (at most RUN_RATE_WINDOW_DAYS). */
  windowDays: number;
}

// A week evens out the weekday/weekend swing of business traffic without reacting to one odd day.
export const RUN_RATE_WINDOW_DAYS = 7;

const DAY_MS = 86_400_000;

function dayText(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

function addDays(day: string, n: number): string {
  return dayText(new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS));
}

/**
 * The dense daily series of the month from its first day through `lastDay` (inclusive), with 0
 * on days without spend: a day nobody spent is a real zero, not a gap in the average.
 */
export function denseDays(period: Period, lastDay: string, daily: readonly DailySpend[]): DailySpend[] {
  const byDay = new Map<string, Decimal>();
  for (const d of daily) byDay.set(d.day, (byDay.get(d.day) ?? ZERO).plus(d.amount));
  const out: DailySpend[] = [];
  for (let day = periodDays(period).first; day <= lastDay; day = addDays(day, 1)) {
    out.push({ day, amount: byDay.get(day) ?? ZERO });
  }
  return out;
}

/**
 * Run-rate forecast of the month's spend as seen at `today`:
 * spend of the complete days + (average daily spend of the last 7 complete days) × (days left,
 * today included). Today's partial spend is replaced by the average rather than added to it.
 * On the 1st (no complete day yet) the rate is last month's average daily spend when known.
 * After the month has ended the forecast is the actual spend. Never below the spend to date.
 */
export function forecastMonth(input: {
  period: Period;
  today: Date;
  daily: readonly DailySpend[];
  spendToDate: Decimal;
  priorMonthDailyRate?: Decimal | null;
}): Forecast {
  const { period, today, spendToDate } = input;
  const { start, end } = periodBounds(period);
  const { count: daysInMonth, last } = periodDays(period);
  const base = { daysInMonth };
  if (today.getTime() >= end.getTime()) {
    return { ...base, forecast: spendToDate, method: 'month_complete', dailyRunRate: null, completeDays: daysInMonth, windowDays: 0 };
  }
  if (today.getTime() < start.getTime()) {
    return { ...base, forecast: null, method: 'month_not_started', dailyRunRate: null, completeDays: 0, windowDays: 0 };
  }
  const todayDay = dayText(today);
  const completeDays = today.getUTCDate() - 1;
  const remainingDays = daysInMonth - completeDays;
  const atLeastSpent = (value: Decimal) => (value.lessThan(spendToDate) ? spendToDate : value);

  if (completeDays === 0) {
    const rate = input.priorMonthDailyRate ?? null;
    if (rate === null) {
      return { ...base, forecast: null, method: 'no_history', dailyRunRate: null, completeDays, windowDays: 0 };
    }
    return { ...base, forecast: atLeastSpent(rate.times(daysInMonth)), method: 'prior_month_daily_average', dailyRunRate: rate, completeDays, windowDays: 0 };
  }

  const complete = denseDays(period, addDays(todayDay, -1) < last ? addDays(todayDay, -1) : last, input.daily);
  const windowDays = Math.min(RUN_RATE_WINDOW_DAYS, completeDays);
  const window = complete.slice(-windowDays);
  const rate = sum(window.map((d) => d.amount)).dividedBy(windowDays);
  const completeSpend = sum(complete.map((d) => d.amount));
  const forecast = completeSpend.plus(rate.times(remainingDays));
  return { ...base, forecast: atLeastSpent(forecast), method: 'trailing_7_day_average', dailyRunRate: rate, completeDays, windowDays };
}

/** Average daily spend of a whole month, for the forecast of the next month's first day. */
export function monthlyDailyRate(actual: Decimal | null, period: Period): Decimal | null {
  return actual === null ? null : actual.dividedBy(periodDays(period).count);
}

export { addDays, dayText };
