import assert from 'node:assert/strict';
import { test } from 'node:test';
import { money } from '../../src/money.ts';
import { budgetAlerts, dailySpikes } from '../../src/budget/alerts.ts';
import type { DailySpend } from '../../src/budget/forecast.ts';

const days = (amounts: string[]): DailySpend[] => amounts.map((a, i) => ({ day: `2026-05-${String(i + 1).padStart(2, '0')}`, amount: money(a) }));

test('below 80% of budget: no alert', () => {
  assert.deepEqual(budgetAlerts({ spendToDate: money('79.99'), forecast: money('79.99'), budget: money('100') }), []);
});

test('exactly 80% of budget warns, on actual and forecast', () => {
  assert.deepEqual(budgetAlerts({ spendToDate: money('80'), forecast: money('99.99'), budget: money('100') }), [
    { alert: 'budget_80', amount: '80.00', threshold: '80.00', budget: '100.00', share_pct: '80.00' },
    { alert: 'forecast_80', amount: '99.99', threshold: '80.00', budget: '100.00', share_pct: '99.99' },
  ]);
});

test('reaching 100% gives only the highest level per basis', () => {
  assert.deepEqual(budgetAlerts({ spendToDate: money('100'), forecast: money('150.5'), budget: money('100') }), [
    { alert: 'budget_100', amount: '100.00', threshold: '100.00', budget: '100.00', share_pct: '100.00' },
    { alert: 'forecast_100', amount: '150.50', threshold: '100.00', budget: '100.00', share_pct: '150.50' },
  ]);
});

test('forecast over budget while actual is still low', () => {
  assert.deepEqual(
    budgetAlerts({ spendToDate: money('30'), forecast: money('2600'), budget: money('2500') }).map((a) => a.alert),
    ['forecast_100'],
  );
});

test('no budget, no budget alerts; a zero budget is reached by any spend', () => {
  assert.deepEqual(budgetAlerts({ spendToDate: money('5000'), forecast: money('9000'), budget: null }), []);
  assert.deepEqual(budgetAlerts({ spendToDate: money('0.01'), forecast: null, budget: money('0') }).map((a) => a.alert), ['budget_100']);
});

test('a day above twice the trailing average is a spike', () => {
  assert.deepEqual(dailySpikes(days(['10', '10', '10', '20.01'])), [
    { alert: 'daily_spike', day: '2026-05-04', amount: '20.01', threshold: '20.00', rolling_average: '10.00' },
  ]);
});

test('exactly twice the average is not a spike', () => {
  assert.deepEqual(dailySpikes(days(['10', '10', '10', '20'])), []);
});

test('fewer than 3 prior days are too little history to call a spike', () => {
  assert.deepEqual(dailySpikes(days(['1', '50', '100'])), []);
});

test('the rolling average covers at most the 7 days before', () => {
  // 7 quiet days at 1 after 3 big ones: day 11 compares with days 4..10 (all 1), not with the big days
  const spikes = dailySpikes(days(['100', '100', '100', '1', '1', '1', '1', '1', '1', '1', '3']));
  assert.deepEqual(spikes.map((s) => [s.day, s.rolling_average]), [['2026-05-11', '1.00']]);
});

test('after zero days, the first spend is not a spike (no average to compare with)', () => {
  assert.deepEqual(dailySpikes(days(['0', '0', '0', '40'])), []);
});
