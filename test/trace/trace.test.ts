import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePolicy } from '../../src/allocate/policy.ts';
import type { PricedAttempt } from '../../src/pricing/price-request.ts';
import type { RunCellRow } from '../../src/trace/queries.ts';
import { buildTrace, chargedTo, topRequests, type TraceOwner } from '../../src/trace/trace.ts';

// The trace's pure core on hand-made rows: who is charged under each policy, when a share is
// exact and when it is not derivable, and the top-N grouping of retries.

const owner = (team: string | null): TraceOwner => ({ team, service: null, cost_center: null, gateway_key_id: null, resolved_by: team ? 'tag' : 'untagged', resolution: '', key_map: null });

test('charged to: the owner, the bucket for retries under retries: platform, spread under untagged: proportional', () => {
  assert.equal(chargedTo(owner('support'), true, parsePolicy({})).team, 'support');
  assert.equal(chargedTo(owner('support'), true, parsePolicy({ retries: 'platform', platform_bucket: 'central-ai' })).team, 'central-ai');
  assert.equal(chargedTo(owner('support'), false, parsePolicy({ retries: 'platform' })).team, 'support');
  assert.equal(chargedTo(owner(null), false, parsePolicy({})).team, 'platform');
  const spread = chargedTo(owner(null), false, parsePolicy({ untagged: 'proportional' }));
  assert.equal(spread.team, null);
  assert.match(spread.rule, /proportional/);
});

function attempt(overrides: Partial<PricedAttempt> = {}): PricedAttempt {
  return {
    request_id: 'r1', original_request_id: null, attempt: 1, ts: '2026-05-10T12:00:00.000Z', provider: 'openai', response_model: 'm', requested_model: null,
    canonical_model: 'm', service_tier: 'standard', region: null, pricing_region: '', status: 'ok',
    owner: { team: 'support', service: null, cost_center: null, gateway_key_id: null },
    resolved_owner: { team: 'support', cost_center: 'cc', source: 'tag', key_map: null },
    is_retry: false,
    tokens: { input: '1000000', output: '0', cache_read_input: '0', cache_write_5m_input: '0', cache_write_1h_input: '0', reasoning_output: '0' },
    unpriced_reason: null,
    categories: [{ category: 'input', quantity: '1000000', unit_price: '3.00', cost: '3', card_version: 'v', line_id: '1', line_effective_from: '2026-05-01T00:00:00.000Z', line_effective_to: null, unpriced_reason: null }],
    cost: '3', source: { ingested_file_id: '1', source_line: '2' },
    ...overrides,
  };
}
const cell = (overrides: Partial<RunCellRow> = {}): RunCellRow => ({
  provider: 'openai', model: 'm', token_category: 'input', service_tier: 'standard', day: '2026-05-10', status: 'review',
  invoice_amount: '8.00', ledger_amount: '6.00', variance_amount: '2.00', unexplained: '0.50', causes: [], cube_cost: '6', cube_unpriced: false, cube_failed: false,
  ...overrides,
});
const run = (policy: unknown = {}) => ({ id: '7', period: '2026-05', status: 'succeeded', finished_at: null, policy: parsePolicy(policy) });

test('exact share: 8.00 invoiced over 6 priced, a record of 3 gets 4; explained 2.00 − 0.50 = 1.5', () => {
  const t = buildTrace({ requestId: 'r1', period: '2026-05', attempts: [attempt()], run: run(), cells: [cell()] });
  const c = t.attempts[0]!.cells[0]!;
  assert.deepEqual([c.allocation?.ratio, c.allocation?.share, c.allocation?.exact], ['1.333333333333', '4', true]);
  assert.deepEqual([c.variance?.explained, c.variance?.unexplained], ['1.5', '0.5']);
  assert.equal(t.allocated_share, '4');
});

test('a cell whose weights the run moved (batch_tier followed) is not derivable: ratio only, and said so', () => {
  const moved = cell({ causes: [{ cause: 'batch_tier', effect: 'volume', amount: '1.00' }] });
  const t = buildTrace({ requestId: 'r1', period: '2026-05', attempts: [attempt()], run: run(), cells: [moved] });
  const c = t.attempts[0]!.cells[0]!;
  assert.equal(c.allocation?.share, null);
  assert.equal(c.allocation?.exact, false);
  assert.match(c.allocation!.note, /batch_tier/);
  assert.equal(t.allocated_share, null);
  assert.equal(t.allocation_exact, false);
  // with the policy leaving batch_tier in the bucket, the weights stay and the share is exact again
  const kept = buildTrace({ requestId: 'r1', period: '2026-05', attempts: [attempt()], run: run({ causes: { batch_tier: 'bucket' } }), cells: [moved] });
  assert.equal(kept.allocated_share, '4');
});

test('residual_variance central: the share is the priced cost', () => {
  const t = buildTrace({ requestId: 'r1', period: '2026-05', attempts: [attempt()], run: run({ residual_variance: 'central' }), cells: [cell()] });
  assert.equal(t.allocated_share, '3');
});

test('top requests: a retry adds to the request it retries; ties by request id', () => {
  const a = attempt({ request_id: 'a', cost: '1' });
  const a2 = attempt({ request_id: 'a-2', original_request_id: 'a', attempt: 2, cost: '1.5' });
  const b = attempt({ request_id: 'b', cost: '2.5' });
  const c = attempt({ request_id: 'c', cost: '0.1' });
  const { requests, total_requests } = topRequests([a, a2, b, c], 'support', 2);
  assert.deepEqual(requests.map((r) => [r.request_id, r.cost, r.attempts]), [['a', '2.5', 2], ['b', '2.5', 1]]);
  assert.equal(total_requests, 3);
});
