import { Decimal, ZERO, sum, toCents } from "../money.js";
// Finance's usual early warning and hard line for a monthly budget.
export const WARN_SHARE = new Decimal('0.8');
export const LIMIT_SHARE = new Decimal('1');
// A day above twice its trailing week is worth a look (runaway loop, batch job, price change).
export const SPIKE_FACTOR = new Decimal(2);
export const SPIKE_WINDOW_DAYS = 7;
// Fewer prior days than this make the rolling average too noisy to call anything a spike.
export const SPIKE_MIN_HISTORY_DAYS = 3;
const HUNDRED = new Decimal(100);
export function sharePct(amount, budget) {
    if (!budget.greaterThan(0))
        return undefined;
    return amount.dividedBy(budget).times(HUNDRED).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2);
}
/**
 * At most one alert per basis (actual, forecast): the highest level reached. No budget, no
 * budget alerts; a zero budget is reached by any spend.
 */
export function budgetAlerts(input) {
    const { budget } = input;
    if (budget === null)
        return [];
    const alerts = [];
    const check = (amount, kinds) => {
        if (amount === null || amount.lessThanOrEqualTo(0))
            return;
        const limit = budget.times(LIMIT_SHARE);
        const warn = budget.times(WARN_SHARE);
        const level = amount.greaterThanOrEqualTo(limit) ? 'limit' : amount.greaterThanOrEqualTo(warn) ? 'warn' : null;
        if (level === null)
            return;
        alerts.push({
            alert: kinds[level],
            amount: toCents(amount),
            threshold: toCents(level === 'limit' ? limit : warn),
            budget: toCents(budget),
            share_pct: sharePct(amount, budget),
        });
    };
    check(input.spendToDate, { warn: 'budget_80', limit: 'budget_100' });
    check(input.forecast, { warn: 'forecast_80', limit: 'forecast_100' });
    return alerts;
}
/**
 * Days whose spend is above twice the average of the (up to) 7 days before them. `dense` is the
 * month's daily series with zeros filled in (see denseDays), in day order.
 */
export function dailySpikes(dense) {
    const alerts = [];
    dense.forEach((day, i) => {
        const prior = dense.slice(Math.max(0, i - SPIKE_WINDOW_DAYS), i);
        if (prior.length < SPIKE_MIN_HISTORY_DAYS)
            return;
        const average = sum(prior.map((d) => d.amount)).dividedBy(prior.length);
        if (average.lessThanOrEqualTo(ZERO))
            return;
        const threshold = average.times(SPIKE_FACTOR);
        if (day.amount.greaterThan(threshold)) {
            alerts.push({ alert: 'daily_spike', day: day.day, amount: toCents(day.amount), threshold: toCents(threshold), rolling_average: toCents(average) });
        }
    });
    return alerts;
}
