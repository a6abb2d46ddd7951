import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Decimal } from '../../src/money.ts';
import { parsePolicy } from '../../src/allocate/policy.ts';
import { amortiseCommitment, commitmentHours, type HourUsage } from '../../src/commitments/amortise.ts';
import { parseCommitmentFile } from '../../src/commitments/commitment-file.ts';

const may = { start: new Date('2026-05-01T00:00:00Z'), end: new Date('2026-06-01T00:00:00Z') };
const terms = (over: Partial<Parameters<typeof amortiseCommitment>[0]['terms']> = {}) => ({
  id: 'PT-1', provider: 'aws.bedrock', model: 'claude-sonnet-4-5-20250929', deployment: null, capacityPerHour: null,
  effectiveFrom: new Date('2026-05-01T00:00:00Z'), effectiveTo: new Date('2026-06-01T00:00:00Z'), ...over,
});
const use = (hour: string, team: string | null, tokens: number, records = 1): HourUsage => ({ hour, team, costCenter: null, service: null, workflow: null, tokens: new Decimal(tokens), records });
const total = (charges: { team: string; component: string; exact: Decimal }[]) =>
  Object.fromEntries(
    [...charges.reduce((m, c) => m.set(`${c.team}/${c.component}`, (m.get(`${c.team}/${c.component}`) ?? new Decimal(0)).plus(c.exact)), new Map<string, Decimal>())]
      .map(([k, v]) => [k, v.toFixed()]),
  );

test('effective range cut to the month: a commitment from the 16th noon has 15.5 days = 372 hours in May', () => {
  const hours = commitmentHours(may, { effectiveFrom: new Date('2026-05-16T12:00:00Z'), effectiveTo: new Date('2026-07-01T00:00:00Z') });
  assert.equal(hours.length, 372);
  assert.equal(hours[0], '2026-05-16T12:00:00.000Z');
  assert.equal(hours.at(-1), '2026-05-31T23:00:00.000Z');
});

test('without a capacity an hour with any record is used in full; untagged usage goes to the bucket', () => {
  // 744.00 over 744 hours = 1.00/h; two hours used: 10:00 (a 3:1 by tokens), 11:00 (untagged only)
  const result = amortiseCommitment({
    terms: terms(), invoiceId: 'INV', billed: new Decimal('744.00'), period: may, policy: parsePolicy({ commitments: { idle: 'bucket' } }), costCenters: new Map(),
    usage: [use('2026-05-03T10:00:00.000Z', 'a', 300), use('2026-05-03T10:00:00.000Z', 'b', 100), use('2026-05-03T11:00:00.000Z', null, 50)],
  });
  assert.deepEqual(total(result.charges), { 'a/commitment': '0.75', 'b/commitment': '0.25', 'platform/commitment': '1', 'platform/idle_capacity': '742' });
  const h = result.hours.find((x) => x.hour === '2026-05-03T10:00:00.000Z')!;
  assert.deepEqual([h.amount.toFixed(), h.used.toFixed(), h.idle.toFixed(), h.utilisation.toFixed()], ['1', '1', '0', '1']);
});

test('idle: share with nothing run on the commitment all month falls to the bucket, saying so', () => {
  const result = amortiseCommitment({ terms: terms(), invoiceId: 'INV', billed: new Decimal('15000'), period: may, policy: parsePolicy({ commitments: { idle: 'share' } }), costCenters: new Map(), usage: [] });
  assert.deepEqual(total(result.charges), { 'platform/idle_capacity': '15000' });
  assert.match(result.notes[0]!, /no tokens ran on it this month/);
});

test('idle: separate goes to the named owner line; capacity caps utilisation at 1', () => {
  const result = amortiseCommitment({
    terms: terms({ capacityPerHour: new Decimal(1000) }), invoiceId: 'INV', billed: new Decimal('744'), period: may,
    policy: parsePolicy({ commitments: { idle: 'separate', idle_owner: 'capacity-pool' } }), costCenters: new Map(),
    usage: [use('2026-05-03T10:00:00.000Z', 'a', 5000), use('2026-05-03T11:00:00.000Z', 'a', 250)],
  });
  // 10:00 over capacity: used 1.00; 11:00 250/1000: used 0.25, idle 0.75; 742 other hours idle
  assert.deepEqual(total(result.charges), { 'a/commitment': '1.25', 'capacity-pool/idle_capacity': '742.75' });
});

test('the commitments file: YAML entries, normalised provider, one error per bad entry, duplicate ids refused', () => {
  const text = `commitments:
  - { id: A, provider: azure, kind: ptu, deployment: d, quantity: 2, unit: PTU, price_per_hour: 1.5, effective_from: 2026-05-01, effective_to: 2026-06-01, bills_under: [S] }
  - { id: A, provider: azure, kind: ptu, deployment: d, quantity: 2, unit: PTU, price_per_hour: 1.5, effective_from: 2026-05-01, effective_to: 2026-06-01, bills_under: [S] }
  - { id: B, provider: azure, kind: ptu, deployment: d, quantity: 1, unit: PTU, price_per_hour: "2,00", effective_from: 2026-05-01, effective_to: 2026-06-01, bills_under: [S], colour: red }
`;
  const parsed = parseCommitmentFile(text, 'c.yaml');
  assert.ok(!('syntax' in parsed));
  assert.deepEqual(parsed.commitments.map((c) => [c.id, c.provider, c.quantity, c.price, c.price_per, c.effective_from]), [['A', 'azure.ai.openai', '2', '1.5', 'hour', '2026-05-01T00:00:00.000Z']]);
  assert.deepEqual(parsed.errors.map((e) => [e.entry, e.id]), [[2, 'A'], [3, 'B']]);
  assert.match(parsed.errors[0]!.problems[0]!, /also entry 1/);
  assert.ok(parsed.errors[1]!.problems.some((p) => p.startsWith('price_per_hour: must be a non-negative decimal')));
  assert.ok(parsed.errors[1]!.problems.some((p) => p.includes('colour')));
  const broken = parseCommitmentFile('{', 'c.json');
  assert.ok('syntax' in broken && /c\.json is not valid JSON/.test(broken.syntax));
});
