import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dayRanges } from '../src/period.ts';

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
