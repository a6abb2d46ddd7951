import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parsePeriod } from '../../src/period.ts';
import {
  cronTimesBetween,
  dueAt,
  missedRuns,
  monthEndCloseDate,
  monthEndCloseTime,
  nextCronTime,
  nextRuns,
  nightlyPeriod,
  parseCron,
  type ScheduleSettings,
} from '../../jobs/schedule.ts';

const utc: ScheduleSettings = { timezone: 'UTC', nightly: '0 2 * * *', monthEndTime: '06:00', monthEndBusinessDay: 3 };
const at = (iso: string) => new Date(iso);
const iso = (d: Date | undefined) => d?.toISOString();

describe('nightly schedule (injected clock)', () => {
  test('month end of a 28-day month: the night after Feb 28 reconciles February', () => {
    const next = nextCronTime(utc.nightly, at('2026-02-28T03:00:00Z'), 'UTC');
    assert.equal(iso(next), '2026-03-01T02:00:00.000Z');
    assert.equal(nightlyPeriod(next), '2026-02');
  });

  test('month end of a 29-day month (leap year 2028): Feb 29 exists and March 1 still closes out February', () => {
    const times = cronTimesBetween(utc.nightly, at('2028-02-28T03:00:00Z'), at('2028-03-01T03:00:00Z'), 'UTC');
    assert.deepEqual(times.map(iso), ['2028-02-29T02:00:00.000Z', '2028-03-01T02:00:00.000Z']);
    assert.deepEqual(times.map(nightlyPeriod), ['2028-02', '2028-02']);
  });

  test('month end of a 30-day month: May 1 reconciles April', () => {
    const next = nextCronTime(utc.nightly, at('2026-04-30T02:00:00Z'), 'UTC');
    assert.equal(iso(next), '2026-05-01T02:00:00.000Z');
    assert.equal(nightlyPeriod(next), '2026-04');
  });

  test('month end of a 31-day month: Jan 31 and Feb 1 both reconcile January', () => {
    const times = cronTimesBetween(utc.nightly, at('2026-01-30T02:00:00Z'), at('2026-02-01T02:00:00Z'), 'UTC');
    assert.deepEqual(times.map(iso), ['2026-01-31T02:00:00.000Z', '2026-02-01T02:00:00.000Z']);
    assert.deepEqual(times.map(nightlyPeriod), ['2026-01', '2026-01']);
  });

  test('year rollover: the night of Jan 1 reconciles December of the previous year', () => {
    const next = nextCronTime(utc.nightly, at('2026-12-31T02:00:00Z'), 'UTC');
    assert.equal(iso(next), '2027-01-01T02:00:00.000Z');
    assert.equal(nightlyPeriod(next), '2026-12');
  });

  test('a time exactly on the schedule is not "next": the next is a day later', () => {
    assert.equal(iso(nextCronTime(utc.nightly, at('2026-05-10T02:00:00Z'), 'UTC')), '2026-05-11T02:00:00.000Z');
  });

  test('timezone: 02:00 Europe/Berlin is 01:00 UTC in winter and 00:00 UTC in summer', () => {
    assert.equal(iso(nextCronTime('0 2 * * *', at('2026-01-10T12:00:00Z'), 'Europe/Berlin')), '2026-01-11T01:00:00.000Z');
    assert.equal(iso(nextCronTime('0 2 * * *', at('2026-07-10T12:00:00Z'), 'Europe/Berlin')), '2026-07-11T00:00:00.000Z');
  });

  test('cron lists, ranges, steps and weekdays', () => {
    assert.equal(iso(nextCronTime('30 1-3/2 * * 1-5', at('2026-08-01T00:00:00Z'), 'UTC')), '2026-08-03T01:30:00.000Z', 'Saturday -> Monday 01:30');
    assert.throws(() => parseCron('0 2 * *'), /5 fields/);
    assert.throws(() => parseCron('0 25 * * *'), /out of range/);
  });
});

describe('month-end close on a business day (injected clock)', () => {
  test('business-day close over a weekend: August 2026 starts on a Saturday, so day 3 is Wednesday the 5th', () => {
    assert.equal(monthEndCloseDate(parsePeriod('2026-07'), 3), '2026-08-05');
    assert.equal(monthEndCloseDate(parsePeriod('2026-07'), 1), '2026-08-03');
  });

  test('close of a 28-day month: January closes on Feb 4, 2026 (Feb 1 is a Sunday)', () => {
    assert.equal(iso(monthEndCloseTime(parsePeriod('2026-01'), utc)), '2026-02-04T06:00:00.000Z');
  });

  test('close of February in a leap year: 2028-02 closes on Friday March 3', () => {
    assert.equal(monthEndCloseDate(parsePeriod('2028-02'), 3), '2028-03-03');
  });

  test('close of a 30-day month: April 2026 closes on Tuesday May 5 (May 1 is a Friday)', () => {
    assert.equal(monthEndCloseDate(parsePeriod('2026-04'), 3), '2026-05-05');
  });

  test('close of a 31-day month: October 2026 closes on Wednesday November 4 (Nov 1 is a Sunday)', () => {
    assert.equal(monthEndCloseDate(parsePeriod('2026-10'), 3), '2026-11-04');
  });

  test('year rollover: December 2026 closes on Tuesday January 5, 2027', () => {
    assert.equal(iso(monthEndCloseTime(parsePeriod('2026-12'), utc)), '2027-01-05T06:00:00.000Z');
  });

  test('the close time is wall-clock time in the configured timezone', () => {
    const ny = { ...utc, timezone: 'America/New_York' };
    assert.equal(iso(monthEndCloseTime(parsePeriod('2026-12'), ny)), '2027-01-05T11:00:00.000Z');
    assert.equal(iso(monthEndCloseTime(parsePeriod('2026-06'), ny)), '2026-07-03T10:00:00.000Z');
  });

  test('next runs from an injected now', () => {
    const runs = nextRuns(at('2026-12-31T12:00:00Z'), utc);
    assert.deepEqual(
      runs.map((r) => [r.job, iso(r.scheduledFor), r.period]),
      [
        ['nightly', '2027-01-01T02:00:00.000Z', '2026-12'],
        ['month-end-close', '2027-01-05T06:00:00.000Z', '2026-12'],
      ],
    );
  });
});

describe('missed runs and due runs (injected clock)', () => {
  test('a worker down for three nights catches up once, for the latest night', () => {
    const missed = missedRuns({ nightly: at('2026-05-10T02:00:00Z') }, at('2026-05-13T10:00:00Z'), utc);
    assert.deepEqual(missed.map((r) => [r.job, iso(r.scheduledFor), r.period]), [['nightly', '2026-05-13T02:00:00.000Z', '2026-05']]);
  });

  test('a worker down over two month ends catches up each close, oldest first, across the weekend', () => {
    const missed = missedRuns({ 'month-end-close': at('2026-04-03T06:00:00Z') }, at('2026-06-10T00:00:00Z'), utc);
    assert.deepEqual(
      missed.map((r) => [iso(r.scheduledFor), r.period]),
      [
        ['2026-05-05T06:00:00.000Z', '2026-04'],
        ['2026-06-03T06:00:00.000Z', '2026-05'],
      ],
    );
  });

  test('nothing is missed when a job never ran, or ran at its last time', () => {
    assert.deepEqual(missedRuns({}, at('2026-06-10T00:00:00Z'), utc), []);
    assert.deepEqual(missedRuns({ nightly: at('2026-06-10T02:00:00Z') }, at('2026-06-10T12:00:00Z'), utc), []);
  });

  test('what is due when the worker ticks', () => {
    assert.equal(iso(dueAt('nightly', at('2026-06-10T02:00:30Z'), utc)?.scheduledFor), '2026-06-10T02:00:00.000Z');
    assert.equal(dueAt('nightly', at('2026-06-10T02:05:00Z'), utc), undefined);
    assert.equal(dueAt('month-end-close', at('2026-06-03T06:00:10Z'), utc)?.period, '2026-05');
    assert.equal(dueAt('month-end-close', at('2026-06-02T06:00:10Z'), utc), undefined, 'not the 3rd business day');
  });
});

describe('daylight saving time (America/New_York)', () => {
  const ny = 'America/New_York';
  test('clocks go back (2026-11-01, 01:00-02:00 happens twice): a 01:30 job fires once, at the first 01:30 (EDT)', () => {
    const times = cronTimesBetween('30 1 * * *', at('2026-10-31T12:00:00Z'), at('2026-11-02T12:00:00Z'), ny);
    assert.deepEqual(times.map(iso), ['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
  });

  test('clocks go forward (2026-03-08, 02:00-03:00 does not exist): a 02:30 job does not fire that night', () => {
    const times = cronTimesBetween('30 2 * * *', at('2026-03-07T12:00:00Z'), at('2026-03-09T12:00:00Z'), ny);
    assert.deepEqual(times.map(iso), ['2026-03-09T06:30:00.000Z']);
  });

  test('a job outside the shifted hour keeps its wall-clock time across both changes', () => {
    const times = cronTimesBetween('0 4 * * *', at('2026-03-07T00:00:00Z'), at('2026-03-09T12:00:00Z'), ny);
    assert.deepEqual(times.map(iso), ['2026-03-07T09:00:00.000Z', '2026-03-08T08:00:00.000Z', '2026-03-09T08:00:00.000Z']);
  });

  test('the catch-up schedule and node-cron (which fires the worker) agree on every firing for a year of DST changes', async () => {
    const cron = (await import('node-cron')).default;
    for (const expression of ['30 1 * * *', '30 2 * * *', '0 2 * * 1-5', '15 0-3 * * *']) {
      const task = cron.createTask(expression, () => undefined, { timezone: ny });
      try {
        const theirs = task.getNextRuns(400).map(iso);
        const ours = cronTimesBetween(expression, new Date(Date.now()), new Date(theirs.at(-1)!), ny, 100_000).map(iso);
        assert.deepEqual(ours, theirs, expression);
      } finally {
        task.destroy();
      }
    }
  });
});

test('month-end close day: the Nth business day of the next month', () => {
  assert.equal(monthEndCloseDate(parsePeriod('2026-05'), 3), '2026-06-03', 'June 1 is a Monday');
  assert.equal(monthEndCloseDate(parsePeriod('2026-07'), 1), '2026-08-03', 'August 1 and 2 are a weekend');
  assert.equal(monthEndCloseDate(parsePeriod('2026-12'), 3), '2027-01-05', 'across the year');
});
