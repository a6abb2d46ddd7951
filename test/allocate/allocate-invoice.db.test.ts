import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { sql } from 'kysely';
import { describeEachBackend, type TestStore } from '../support/db.ts';
import { insertInvoiceLines, invoiceLine } from '../support/builders.ts';
import { cubeRow, insertCubeRows, insertRun, type CubeRowInput } from '../support/run-builders.ts';
import { allocateInvoice } from '../../src/allocate/allocate-invoice.ts';
import { defaultPolicy, parsePolicy } from '../../src/allocate/policy.ts';
import { parsePeriod } from '../../src/period.ts';

const PERIOD = parsePeriod('2026-05');
const MINI = 'gpt-4o-mini-2024-07-18';
const GPT4O = 'gpt-4o-2024-08-06';

/** The seed example as priced ledger: per-call prices carried by the `request` category. */
function seedCube(): CubeRowInput[] {
  const call = (o: Partial<CubeRowInput>) => cubeRow({ token_category: 'request', day: '2026-05-12', ...o });
  return [
    call({ team: 'support', service: 'ticket-triage', workflow: 'case_summary_v3', model: MINI, gateway_key_id: 'key-support', records: 2_000_000, quantity: 2_000_000, cost: '1600' }),
    call({ team: 'sales', service: 'proposal-writer', workflow: 'proposal_draft', model: GPT4O, gateway_key_id: 'key-sales', records: 80_000, quantity: 80_000, cost: '7200' }),
    call({ team: 'agents', service: 'ops-agent', workflow: 'incident_runbook', model: GPT4O, gateway_key_id: 'key-agents', status: 'error', is_retry: true, records: 300_000, quantity: 300_000, cost: '4500' }),
    // a staging service calling with the production support key but no team tag, and the key map does not know it either
    call({ team: null, owner_source: null, service: 'staging-search', environment: 'staging', model: MINI, gateway_key_id: 'key-shared-prod', records: 1_562_500, quantity: 1_562_500, cost: '1250' }),
  ];
}

async function seedOwners(store: TestStore) {
  await sql`insert into team_owner (team, cost_center, owner, monthly_budget, source) values
    ('support', 'cc-4210', 'dana@example.com', 2500, 'test'), ('sales', 'cc-5100', 'lee@example.com', 6000, 'test'),
    ('agents', 'cc-6000', 'sam@example.com', 3000, 'test'), ('platform', 'cc-1000', 'ops@example.com', 500, 'test')`.execute(store.db);
  await sql`insert into gateway_key_owner (gateway_key_id, team, source) values
    ('key-support', 'support', 'test'), ('key-sales', 'sales', 'test')`.execute(store.db);
}

async function cellsOk(store: TestStore, runId: string) {
  await sql`insert into run_variance_cell (run_id, provider, model, token_category, service_tier, day, status)
    values (${runId}, 'openai', ${MINI}, 'request', 'standard', '2026-05-12', 'ok'), (${runId}, 'openai', ${GPT4O}, 'request', 'standard', '2026-05-12', 'ok')`.execute(store.db);
}

async function teamTotals(store: TestStore, runId: string) {
  const { rows } = await sql<{ team: string; amount: string }>`
    select team, sum(amount)::text as amount from run_allocation where run_id = ${runId} group by team order by team`.execute(store.db);
  return Object.fromEntries(rows.map((r) => [r.team, r.amount]));
}

describeEachBackend('allocateInvoice', (store) => {
  let runId: string;
  before(async () => {
    await seedOwners(store());
    await insertInvoiceLines(store(), [
      invoiceLine({ invoice_id: 'INV-OAI-2026-05', charge_date: '2026-05-12', model: MINI, provider_model: 'gpt-4o-mini', token_category: 'request', quantity: '3562500', amount: '2850.00' }),
      invoiceLine({ invoice_id: 'INV-OAI-2026-05', charge_date: '2026-05-12', model: GPT4O, provider_model: 'gpt-4o', token_category: 'request', quantity: '380000', amount: '11700.00' }),
    ]);
    runId = await insertRun(store(), PERIOD);
    await insertCubeRows(store(), runId, seedCube());
    await cellsOk(store(), runId);
    await allocateInvoice(store().db, { runId, period: PERIOD, policy: defaultPolicy, now: new Date('2026-06-02T06:00:00Z') });
  });

  test('the seed example: Support $1,600, Sales $7,200, agent $4,500 and the $1,250 untagged staging spend in the platform bucket', async () => {
    assert.deepEqual(await teamTotals(store(), runId), { agents: '4500.00', platform: '1250.00', sales: '7200.00', support: '1600.00' });
    const { rows } = await sql<{ team: string; service: string; component: string; amount: string; cost_center: string; rule: string }>`
      select team, service, component, amount::text, cost_center, rule from run_allocation where run_id = ${runId} and component = 'untagged'`.execute(store().db);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.team, 'platform');
    assert.equal(rows[0]!.service, 'staging-search');
    assert.equal(rows[0]!.amount, '1250.00');
    assert.equal(rows[0]!.cost_center, 'cc-1000');
    assert.match(rows[0]!.rule, /untagged spend kept in the platform bucket/);
  });

  test('every row carries a component and a rule; the invoice sums exactly', async () => {
    const { rows } = await sql<{ total: string; missing: string }>`
      select sum(amount)::text as total, count(*) filter (where rule = '' or component = '')::text as missing
      from run_allocation where run_id = ${runId}`.execute(store().db);
    assert.deepEqual(rows[0], { total: '14550.00', missing: '0' });
  });

  test('team summary: confidence, exposure and mode with the reason', async () => {
    const { rows } = await sql<{ team: string; allocated: string; attributable_share: string | null; untagged_exposure: string; mode: string; mode_reason: string }>`
      select team, allocated::text, attributable_share::text, untagged_exposure::text, mode, mode_reason
      from run_team_summary where run_id = ${runId} order by team`.execute(store().db);
    const by = Object.fromEntries(rows.map((r) => [r.team, r]));
    assert.equal(by.support!.mode, 'chargeback');
    assert.equal(Number(by.support!.attributable_share), 1);
    // agents: its key is missing from the key map, so it stays in showback and the reason names the key
    assert.equal(by.agents!.mode, 'showback');
    assert.match(by.agents!.mode_reason, /key-agents/);
    assert.equal(by.platform!.mode, 'showback');
    assert.equal(Number(by.platform!.untagged_exposure), 1250);
    assert.equal(by.platform!.allocated, '1250.00');
  });

  test('an accepted dispute moves its amount on the next run and records the run that applied it', async () => {
    const { rows } = await sql<{ id: string }>`
      insert into dispute (period, team, reason, amount, status, resolution_note, resolved_at)
      values (${PERIOD}, 'sales', 'eval traffic tagged as sales', 200, 'accepted', 'confirmed', now()) returning id`.execute(store().db);
    const disputeId = rows[0]!.id;
    const next = await insertRun(store(), PERIOD);
    await insertCubeRows(store(), next, seedCube());
    await allocateInvoice(store().db, { runId: next, period: PERIOD, policy: defaultPolicy, now: new Date('2026-06-09T06:00:00Z') });
    assert.deepEqual(await teamTotals(store(), next), { agents: '4500.00', platform: '1450.00', sales: '7000.00', support: '1600.00' });
    // the earlier run is untouched
    assert.deepEqual(await teamTotals(store(), runId), { agents: '4500.00', platform: '1250.00', sales: '7200.00', support: '1600.00' });
    const applied = await sql<{ applied_in_run: string }>`select applied_in_run from dispute where id = ${disputeId}`.execute(store().db);
    assert.equal(applied.rows[0]!.applied_in_run, next);
    // a later rerun applies it again but keeps the first run that applied it
    const third = await insertRun(store(), PERIOD);
    await insertCubeRows(store(), third, seedCube());
    await allocateInvoice(store().db, { runId: third, period: PERIOD, policy: defaultPolicy, now: new Date('2026-06-10T06:00:00Z') });
    assert.equal((await teamTotals(store(), third)).sales, '7000.00');
    const again = await sql<{ applied_in_run: string }>`select applied_in_run from dispute where id = ${disputeId}`.execute(store().db);
    assert.equal(again.rows[0]!.applied_in_run, next);
    await sql`update dispute set status = 'rejected' where id = ${disputeId}`.execute(store().db);
  });

  test('policy options change the stored numbers: retries to platform, untagged proportional', async () => {
    const other = await insertRun(store(), PERIOD);
    await insertCubeRows(store(), other, seedCube());
    await allocateInvoice(store().db, { runId: other, period: PERIOD, policy: parsePolicy({ retries: 'platform', untagged: 'proportional' }), now: new Date() });
    // the agents' retries go to platform; the untagged 1,250 is spread over the teams' own tagged spend, 1,600 : 7,200
    assert.deepEqual(await teamTotals(store(), other), { platform: '4500.00', sales: '8222.73', support: '1827.27' });
  });
});

describeEachBackend('allocateInvoice: invoice lines beyond usage', (store) => {
  test('credits, tax, unmapped lines and cells without records are allocated; per invoice the sum is exact', async () => {
    const s = store();
    await insertInvoiceLines(s, [
      invoiceLine({ invoice_id: 'INV-A', charge_date: '2026-05-03', model: GPT4O, token_category: 'input', amount: '100.004' }),
      invoiceLine({ invoice_id: 'INV-A', charge_date: '2026-05-04', model: GPT4O, token_category: 'input', amount: '33.333' }),
      invoiceLine({ invoice_id: 'INV-A', charge_date: '2026-05-31', model: null, provider_model: 'mystery-sku', token_category: null, amount: '7.10', mapping_rule: null }),
      invoiceLine({ invoice_id: 'INV-A', charge_date: '2026-05-31', model: null, provider_model: null, token_category: null, line_type: 'credit', quantity: null, amount: '-20' }),
      invoiceLine({ invoice_id: 'INV-A', charge_date: '2026-05-31', model: null, provider_model: null, token_category: null, line_type: 'tax', quantity: null, amount: '12.04' }),
      // next month's line is not this period's
      invoiceLine({ invoice_id: 'INV-B', charge_date: '2026-06-01', amount: '999' }),
    ]);
    const runId = await insertRun(s, PERIOD);
    await insertCubeRows(s, runId, [
      cubeRow({ day: '2026-05-03', team: 'support', workflow: 'a', cost: '60', quantity: 24_000_000 }),
      cubeRow({ day: '2026-05-03', team: 'sales', workflow: 'b', cost: '40', quantity: 16_000_000 }),
    ]);
    const result = await allocateInvoice(s.db, { runId, period: PERIOD, policy: defaultPolicy, now: new Date() });
    const { rows } = await sql<{ invoice_id: string; total: string }>`
      select invoice_id, sum(amount)::text as total from run_allocation where run_id = ${runId} group by 1 order by 1`.execute(s.db);
    // 100.004 + 33.333 + 7.10 − 20 + 12.04 = 132.477 → 132.48
    assert.deepEqual(rows, [{ invoice_id: 'INV-A', total: '132.48' }]);
    const byComponent = await sql<{ component: string; team: string; amount: string }>`
      select component, team, sum(amount)::text as amount from run_allocation where run_id = ${runId}
      group by 1, 2 order by 1, 2`.execute(s.db);
    const find = (component: string, team: string) => byComponent.rows.find((r) => r.component === component && r.team === team)?.amount;
    // exact 40.433, 60.0024 and 40.0016: each lands within the cent largest remainder may add
    const near = (amount: string | undefined, exact: string) => assert.ok(amount !== undefined && Math.abs(Number(amount) - Number(exact)) < 0.01, `${amount} vs ${exact}`);
    near(find('unmatched_invoice', 'platform'), '40.433');
    near(find('usage', 'support'), '60.0024');
    near(find('usage', 'sales'), '40.0016');
    assert.ok(result.rows.some((r) => r.component === 'credit' && r.team === 'support'));
  });
});
