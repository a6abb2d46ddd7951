import { ZERO, sum } from "../money.js";
import { periodBounds, periodDays } from "../period.js";
// A week evens out the weekday/weekend swing of business traffic without reacting to one odd day.
export const RUN_RATE_WINDOW_DAYS = 7;
const DAY_MS = 86_400_000;
function dayText(instant) {
    return instant.toISOString().slice(0, 10);
}
function addDays(day, n) {
    return dayText(new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS));
}
/**
 * The dense daily series of the month from its first day through `lastDay` (inclusive), with 0
 * on days without spend: a day nobody spent is a real zero, not a gap in the average.
 */
export function denseDays(period, lastDay, daily) {
    const byDay = new Map();
    for (const d of daily)
        byDay.set(d.day, (byDay.get(d.day) ?? ZERO).plus(d.amount));
    const out = [];
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
export function forecastMonth(input) {
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
    const atLeastSpent = (value) => (value.lessThan(spendToDate) ? spendToDate : value);
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
export function monthlyDailyRate(actual, period) {
    return actual === null ? null : actual.dividedBy(periodDays(period).count);
}
export { addDays, dayText };
