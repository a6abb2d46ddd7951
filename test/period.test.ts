import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dayRanges } from '../src/period.ts';
import { addBusinessDays, businessDaysBetween, utcDay } from '../src/period.ts';

const MAY = ['2026-05-01T00:00:00.000Z', '2026-06-01T00:00:00.000Z'] as const;

test('a month cut for three processes gives three ranges of whole days that tile it', () => {
  assert.deepEqual(dayRanges(...MAY, 3), [
    ['2026-05-01T00:00:00.000Z', '2026-05-11T00:00:00.000Z'],
    ['2026-05-11T00:00:00.000Z', '2026-05-22T00:00:00.000Z'],
    ['2026-05-22T00:00:00.000Z', '2026-06-01T00:00:00.000Z'],
  ]);
});

test('one process (the embedded store runs no parallel workers) scans the period in one range', () => {
  assert.deepEqual(dayRanges(...MAY, 1), [[MAY[0], MAY[1]]]);
});

test('never more ranges than days, and every range is non-empty', () => {
  const ranges = dayRanges('2026-02-01T00:00:00.000Z', '2026-02-03T00:00:00.000Z', 8);
  assert.deepEqual(ranges, [
    ['2026-02-01T00:00:00.000Z', '2026-02-02T00:00:00.000Z'],
    ['2026-02-02T00:00:00.000Z', '2026-02-03T00:00:00.000Z'],
  ]);
  for (const [from, to] of dayRanges(...MAY, 7)) assert.ok(from < to);
});

test('business days: Monday to Friday, across weekends, month and year ends, in any time zone of the machine', () => {
  assert.equal(addBusinessDays('2026-06-01', 5), '2026-06-08', 'Monday -> next Monday');
  assert.equal(addBusinessDays('2026-06-05', 5), '2026-06-12', 'Friday -> next Friday');
  assert.equal(addBusinessDays('2026-06-06', 1), '2026-06-08', 'Saturday -> Monday');
  assert.equal(addBusinessDays('2026-12-30', 5), '2027-01-06', 'across the year');
  assert.equal(addBusinessDays('2026-03-06', 5), '2026-03-13', 'across a DST change');
  assert.equal(businessDaysBetween('2026-06-05', '2026-06-12'), 5);
  assert.equal(businessDaysBetween('2026-06-12', '2026-06-05'), -5);
  assert.equal(utcDay(new Date('2026-06-30T23:59:59.999Z')), '2026-06-30');
  assert.equal(utcDay('2026-07-01T01:00:00+02:00'), '2026-06-30');
});
