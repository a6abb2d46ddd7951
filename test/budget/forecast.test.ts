import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Decimal, money } from '../../src/money.ts';
import { parsePeriod, periodDays, type Period } from '../../src/period.ts';
import { forecastMonth, type DailySpend } from '../../src/budget/forecast.ts';

/** `perDay` on every day of the month from the 1st up to (excluding) `throughDay`, plus `todaySoFar` on that day. */
function steadyMonth(period: Period, perDay: string, throughDay: number, todaySoFar = '0'): DailySpend[] {
  const days: DailySpend[] = [];
  for (let d = 1; d < throughDay; d++) days.push({ day: `${period}-${String(d).padStart(2, '0')}`, amount: money(perDay) });
  if (todaySoFar !== '0') days.push({ day: `${period}-${String(throughDay).padStart(2, '0')}`, amount: money(todaySoFar) });
  return days;
}

function spendOf(days: DailySpend[]): Decimal {
  return days.reduce((total, d) => total.plus(d.amount), new Decimal(0));
}

const months: Array<{ hazard: string; period: string; days: number }> = [
  { hazard: '28-day February', period: '2026-02', days: 28 },
  { hazard: '29-day leap February', period: '2028-02', days: 29 },
  { hazard: '30-day month', period: '2026-04', days: 30 },
  { hazard: '31-day month', period: '2026-05', days: 31 },
];

describe('run-rate forecast over month lengths', () => {
  for (const { hazard, period: text, days } of months) {
    const period = parsePeriod(text);
    test(`${hazard}: first day at 02:00 with no history has no forecast`, () => {
      const daily = steadyMonth(period, '10', 1, '0.80');
      const f = forecastMonth({ period, today: new Date(`${text}-01T02:00:00Z`), daily, spendToDate: spendOf(daily) });
      assert.equal(f.method, 'no_history');
      assert.equal(f.forecast, null);
      assert.equal(f.completeDays, 0);
      assert.equal(f.daysInMonth, days);
    });

    test(`${hazard}: first day uses last month's average daily spend`, () => {
      const daily = steadyMonth(period, '10', 1, '0.80');
      const f = forecastMonth({ period, today: new Date(`${text}-01T02:00:00Z`), daily, spendToDate: spendOf(daily), priorMonthDailyRate: money('12') });
      assert.equal(f.method, 'prior_month_daily_average');
      assert.equal(f.forecast?.toFixed(), String(12 * days));
    });

    test(`${hazard}: middle of the month extends the trailing week over the days left`, () => {
      const daily = steadyMonth(period, '10', 15, '3.25');
      const f = forecastMonth({ period, today: new Date(`${text}-15T02:00:00Z`), daily, spendToDate: spendOf(daily) });
      assert.equal(f.method, 'trailing_7_day_average');
      assert.equal(f.completeDays, 14);
      assert.equal(f.windowDays, 7);
      assert.equal(f.dailyRunRate?.toFixed(), '10');
      // 14 complete days at 10 + 10 for each of the remaining days (today included)
      assert.equal(f.forecast?.toFixed(), String(10 * days));
    });

    test(`${hazard}: last day of the month adds one day of run rate`, () => {
      const daily = steadyMonth(period, '10', days, '4');
      const f = forecastMonth({ period, today: new Date(`${text}-${days}T23:00:00Z`), daily, spendToDate: spendOf(daily) });
      assert.equal(f.completeDays, days - 1);
      assert.equal(f.forecast?.toFixed(), String(10 * days));
    });

    test(`${hazard}: after the month has ended the forecast is the actual`, () => {
      const daily = steadyMonth(period, '10', days + 1);
      const { last } = periodDays(period);
      const after = new Date(Date.parse(`${last}T00:00:00Z`) + 3 * 86_400_000);
      const f = forecastMonth({ period, today: after, daily, spendToDate: money('305.55') });
      assert.equal(f.method, 'month_complete');
      assert.equal(f.forecast?.toFixed(), '305.55');
      assert.equal(f.completeDays, days);
    });
  }

  test('second day of a month averages the one complete day only', () => {
    const period = parsePeriod('2026-05');
    const daily = steadyMonth(period, '31', 2, '1');
    const f = forecastMonth({ period, today: new Date('2026-05-02T02:00:00Z'), daily, spendToDate: spendOf(daily) });
    assert.equal(f.windowDays, 1);
    assert.equal(f.forecast?.toFixed(), '961'); // 31 + 31 × 30
  });

  test('a step up in spend counts only the last 7 complete days', () => {
    const period = parsePeriod('2026-05');
    const daily = [...steadyMonth(period, '10', 8), ...Array.from({ length: 7 }, (_, i) => ({ day: `2026-05-${String(8 + i).padStart(2, '0')}`, amount: money('20') }))];
    const f = forecastMonth({ period, today: new Date('2026-05-15T02:00:00Z'), daily, spendToDate: spendOf(daily) });
    assert.equal(f.dailyRunRate?.toFixed(), '20');
    assert.equal(f.forecast?.toFixed(), '550'); // 70 + 140 + 20 × 17
  });

  test('days without spend are zeros in the average, not gaps', () => {
    const period = parsePeriod('2026-04');
    const daily = [{ day: '2026-04-05', amount: money('70') }];
    const f = forecastMonth({ period, today: new Date('2026-04-11T02:00:00Z'), daily, spendToDate: money('70') });
    assert.equal(f.dailyRunRate?.toFixed(), '10'); // 70 over the 7 days 4..10
    assert.equal(f.forecast?.toFixed(), '270'); // 70 + 10 × 20
  });

  test('the forecast never falls below what is already spent (a huge partial today)', () => {
    const period = parsePeriod('2026-04');
    const daily = [...steadyMonth(period, '1', 30), { day: '2026-04-30', amount: money('500') }];
    const f = forecastMonth({ period, today: new Date('2026-04-30T20:00:00Z'), daily, spendToDate: spendOf(daily) });
    assert.equal(f.forecast?.toFixed(), '529');
  });

  test('year rollover: January 1st takes December (31 days) as its prior rate', () => {
    const period = parsePeriod('2027-01');
    const f = forecastMonth({ period, today: new Date('2027-01-01T02:00:00Z'), daily: [], spendToDate: money('0'), priorMonthDailyRate: money('3100').dividedBy(31) });
    assert.equal(f.forecast?.toFixed(), '3100');
  });

  test('a month that has not started has no forecast', () => {
    const period = parsePeriod('2026-06');
    const f = forecastMonth({ period, today: new Date('2026-05-31T23:59:59Z'), daily: [], spendToDate: money('0') });
    assert.equal(f.method, 'month_not_started');
    assert.equal(f.forecast, null);
  });
});
