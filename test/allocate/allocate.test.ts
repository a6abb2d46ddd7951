import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Decimal, ZERO, money, sum } from '../../src/money.ts';
import { allocate, teamSummary, type AllocationInput, type AllocationRow, type UsageShare } from '../../src/allocate/allocate.ts';
import { roundToCents } from '../../src/money.ts';
import { defaultPolicy, parsePolicy, type AllocationPolicy } from '../../src/allocate/policy.ts';

const INVOICE = { provider: 'openai', invoiceId: 'INV-1' };

function usage(overrides: Omit<Partial<UsageShare>, 'share'> & { cost: string; invoiced?: string }): UsageShare {
  const { cost, invoiced: share, ...rest } = overrides;
  return {
    ...INVOICE,
    team: 'support',
    costCenter: null,
    service: null,
    workflow: null,
    model: 'gpt-4o-mini',
    retry: false,
    priced: true,
    reconciled: true,
    basis: money(cost),
    share: money(share ?? cost),
    varianceAbs: money(share ?? cost).minus(money(cost)).abs(),
    unexplained: ZERO,
    ...rest,
  };
}

/** The seed example: three teams on one gateway, plus $1,250 of untagged staging spend. */
function seedMonth(policy: AllocationPolicy = defaultPolicy, extra: Partial<AllocationInput> = {}): AllocationInput {
  return {
    policy,
    costCenters: new Map([
      ['support', 'cc-4210'],
      ['sales', 'cc-5100'],
      ['agents', 'cc-6000'],
      ['platform', 'cc-1000'],
    ]),
    invoices: [{ ...INVOICE, amount: money('14550') }],
    usage: [
      usage({ team: 'support', service: 'ticket-triage', model: 'gpt-4o-mini', cost: '1600' }),
      usage({ team: 'sales', service: 'proposal-writer', model: 'gpt-4o', cost: '7200' }),
      usage({ team: 'agents', service: 'ops-agent', model: 'gpt-4o', retry: true, cost: '4500' }),
      usage({ team: null, service: 'staging-search', model: 'gpt-4o-mini', cost: '1250' }),
    ],
    unmatched: [],
    adjustments: [],
    disputes: [],
    ...extra,
  };
}

const byTeam = (rows: AllocationRow[]) => {
  const totals = new Map<string, Decimal>();
  for (const r of rows) totals.set(r.team, (totals.get(r.team) ?? ZERO).plus(r.amount));
  return Object.fromEntries([...totals.entries()].sort().map(([k, v]) => [k, v.toFixed(2)]));
};

describe('allocate: the seed example', () => {
  test('charges by priced cost, not request count; untagged staging spend stays in the platform bucket', () => {
    const result = allocate(seedMonth());
    assert.deepEqual(byTeam(result.rows), { agents: '4500.00', platform: '1250.00', sales: '7200.00', support: '1600.00' });
    const untagged = result.rows.filter((r) => r.component === 'untagged');
    assert.equal(untagged.length, 1);
    assert.equal(untagged[0]!.team, 'platform');
    assert.equal(untagged[0]!.service, 'staging-search');
    assert.match(untagged[0]!.rule, /untagged spend kept in the platform bucket/);
    assert.equal(result.rows.find((r) => r.team === 'agents')!.component, 'retry');
    const platform = result.teams.find((t) => t.team === 'platform')!;
    assert.equal(platform.untaggedExposure.toFixed(2), '1250.00');
  });

  test('retries: platform moves the agent retries to the platform bucket', () => {
    const result = allocate(seedMonth(parsePolicy({ retries: 'platform' })));
    assert.deepEqual(byTeam(result.rows), { platform: '5750.00', sales: '7200.00', support: '1600.00' });
  });

  test('untagged: proportional spreads the $1,250 over tagged spend by weight', () => {
    const result = allocate(seedMonth(parsePolicy({ untagged: 'proportional' })));
    // weights 1600 : 7200 : 4500 of 13,300
    assert.deepEqual(byTeam(result.rows), { agents: '4922.93', sales: '7876.69', support: '1750.38' });
  });

  test('untagged: even splits it over the teams with tagged spend, remainder cent by largest remainder', () => {
    const result = allocate(seedMonth(parsePolicy({ untagged: 'even' })));
    const teams = byTeam(result.rows);
    assert.equal(sum(Object.values(teams).map(money)).toFixed(2), '14550.00');
    assert.deepEqual(
      Object.entries(teams).map(([t, a]) => [t, money(a).minus(t === 'agents' ? '4500' : t === 'sales' ? '7200' : '1600').toFixed(2)]),
      [
        ['agents', '416.67'],
        ['sales', '416.67'],
        ['support', '416.66'],
      ],
    );
  });

  test('untagged: proportional with no tagged spend keeps it in the bucket and says so', () => {
    const input = seedMonth(parsePolicy({ untagged: 'proportional' }));
    input.usage = input.usage.filter((u) => u.team === null);
    input.invoices = [{ ...INVOICE, amount: money('1250') }];
    const result = allocate(input);
    assert.deepEqual(byTeam(result.rows), { platform: '1250.00' });
    assert.match(result.notes.join('\n'), /every weight is zero/);
  });
});

describe('allocate: invoice-level lines', () => {
  const withCredit = (policy: AllocationPolicy) =>
    seedMonth(policy, {
      invoices: [{ ...INVOICE, amount: money('14550').minus('550').plus('116.40') }],
      adjustments: [
        { ...INVOICE, lineType: 'credit', amount: money('-550') },
        { ...INVOICE, lineType: 'tax', amount: money('116.40') },
      ],
    });

  test('discounts_and_credits: proportional spreads the credit over allocated spend', () => {
    const result = allocate(withCredit(defaultPolicy));
    const credit = result.rows.filter((r) => r.component === 'credit');
    assert.equal(sum(credit.map((r) => r.amount)).toFixed(2), '-550.00');
    const sales = sum(credit.filter((r) => r.team === 'sales').map((r) => r.amount));
    // 7200 / 14550 of the credit = -272.1649…, within the cent handed out by largest remainder
    assert.ok(sales.minus('-272.1649').abs().lessThan('0.01'), sales.toFixed(2));
    assert.equal(sum(result.rows.map((r) => r.amount)).toFixed(2), '14116.40');
  });

  test('discounts_and_credits: central keeps the credit in the platform bucket; tax still spread', () => {
    const result = allocate(withCredit(parsePolicy({ discounts_and_credits: 'central' })));
    const credit = result.rows.filter((r) => r.component === 'credit');
    assert.deepEqual(
      credit.map((r) => [r.team, r.amount.toFixed(2)]),
      [['platform', '-550.00']],
    );
    assert.ok(result.rows.filter((r) => r.component === 'tax').length > 1);
  });

  test('tax_and_fees: central keeps tax in the central bucket when one is named', () => {
    const result = allocate(withCredit(parsePolicy({ tax_and_fees: 'central', central_bucket: 'finance-central' })));
    assert.deepEqual(
      result.rows.filter((r) => r.component === 'tax').map((r) => [r.team, r.amount.toFixed(2)]),
      [['finance-central', '116.40']],
    );
  });

  test('an invoice amount with no ledger records follows the untagged policy', () => {
    const input = seedMonth(defaultPolicy, {
      invoices: [{ ...INVOICE, amount: money('14650') }],
      unmatched: [{ ...INVOICE, model: 'o3', amount: money('100'), reason: 'no_ledger_records' }],
    });
    const rows = allocate(input).rows.filter((r) => r.component === 'unmatched_invoice');
    assert.deepEqual(
      rows.map((r) => [r.team, r.model, r.amount.toFixed(2)]),
      [['platform', 'o3', '100.00']],
    );
  });
});

describe('allocate: variance', () => {
  // Invoice 1,100 for the cell; ledger priced 1,000 (support 600, sales 400).
  const cell = (policy: AllocationPolicy) => ({
    ...seedMonth(policy),
    invoices: [{ ...INVOICE, amount: money('1100') }],
    usage: [usage({ team: 'support', cost: '600', invoiced: '660' }), usage({ team: 'sales', cost: '400', invoiced: '440' })],
  });

  test('residual_variance: proportional — each owner carries its cell variance', () => {
    assert.deepEqual(byTeam(allocate(cell(defaultPolicy)).rows), { sales: '440.00', support: '660.00' });
  });

  test('residual_variance: central — owners pay priced cost, the variance sits in the platform bucket', () => {
    const result = allocate(cell(parsePolicy({ residual_variance: 'central' })));
    assert.deepEqual(byTeam(result.rows), { platform: '100.00', sales: '400.00', support: '600.00' });
    assert.deepEqual(
      result.rows.filter((r) => r.team === 'platform').map((r) => r.component),
      ['variance'],
    );
  });
});

describe('allocate: disputes', () => {
  test('an accepted dispute moves its amount to the bucket; the invoice still ties out', () => {
    const result = allocate(seedMonth(defaultPolicy, { disputes: [{ id: '7', team: 'sales', amount: money('200'), reason: 'eval traffic mis-tagged' }] }));
    assert.deepEqual(byTeam(result.rows), { agents: '4500.00', platform: '1450.00', sales: '7000.00', support: '1600.00' });
    const moved = result.rows.filter((r) => r.component === 'dispute');
    assert.deepEqual(
      moved.map((r) => [r.team, r.amount.toFixed(2)]),
      [
        ['platform', '200.00'],
        ['sales', '-200.00'],
      ],
    );
    assert.equal(result.disputes[0]!.applied.toFixed(2), '200.00');
  });

  test('a dispute larger than the charge is capped at the charge', () => {
    const result = allocate(seedMonth(defaultPolicy, { disputes: [{ id: '8', team: 'support', amount: money('5000'), reason: 'not ours' }] }));
    assert.equal(byTeam(result.rows).support, '0.00');
    assert.equal(result.disputes[0]!.applied.toFixed(2), '1600.00');
    assert.match(result.notes.join('\n'), /capped/);
  });

  test('an accepted dispute names the team that takes it, under any untagged policy', () => {
    // sales is charged 7,200.00 in the seed month; 100.00 of it belongs to support
    const result = allocate(seedMonth(parsePolicy({ untagged: 'proportional' }), { disputes: [{ id: '9', team: 'sales', amount: money('100'), reason: 'x', receivingTeam: 'support' }] }));
    const moved = result.rows.filter((r) => r.component === 'dispute');
    assert.deepEqual(moved.map((r) => [r.team, r.amount.toFixed(2)]).sort(), [['sales', '-100.00'], ['support', '100.00']]);
    assert.match(result.disputes[0]!.note, /moved to support/);
  });

  test('the bucket team\'s own dispute moves its amount to the team it names', () => {
    const plain = allocate(seedMonth(defaultPolicy));
    const platformBefore = money(byTeam(plain.rows).platform!);
    const result = allocate(seedMonth(defaultPolicy, { disputes: [{ id: '10', team: 'platform', amount: money('33.28'), reason: 'research eval traffic on the shared key', receivingTeam: 'agents' }] }));
    const after = byTeam(result.rows);
    assert.equal(money(after.platform!).toFixed(2), platformBefore.minus('33.28').toFixed(2));
    assert.equal(money(after.agents!).toFixed(2), money(byTeam(plain.rows).agents!).plus('33.28').toFixed(2));
    assert.equal(result.disputes[0]!.applied.toFixed(2), '33.28');
  });

  test('a bucket dispute that names no other team moves nothing, and says why', () => {
    const result = allocate(seedMonth(defaultPolicy, { disputes: [{ id: '11', team: 'platform', amount: money('5'), reason: 'x' }] }));
    assert.equal(result.rows.filter((r) => r.component === 'dispute').length, 0);
    assert.match(result.disputes[0]!.note, /--to TEAM/);
  });
});

describe('roundToCents', () => {
  test('signed amounts (credits) tie to the target with the remainder to the largest fractions', () => {
    const parts = roundToCents([money('10.005'), money('-3.333'), money('3.338')], ['a', 'b', 'c'], money('10.01'));
    assert.deepEqual(
      parts.map((p) => p.toFixed(2)),
      ['10.00', '-3.33', '3.34'],
    );
  });

  test('ties go to the smaller key, so reruns agree', () => {
    const third = new Decimal(1).dividedBy(3);
    assert.deepEqual(
      roundToCents([third, third, third], ['c', 'a', 'b'], money('1.00')).map((p) => p.toFixed(2)),
      ['0.33', '0.34', '0.33'],
    );
  });
});

describe('teamSummary gates', () => {
  const figures = { team: 'sales', costCenter: 'cc-5100', allocated: money('100'), pricedCost: money('99'), gross: money('100'), attributable: money('96'), varianceAbs: money('1'), ownBasis: money('99'), untaggedExposure: ZERO, unexplainedExposure: ZERO, chargedExact: money('100'), ownBilledBasis: money('99'), bridge: new Map() };
  test('chargeback when every gate passes, with the figures in the reason', () => {
    const s = teamSummary(figures, { keysWithoutOwner: [], hasCostCenter: true }, defaultPolicy);
    assert.equal(s.mode, 'chargeback');
    assert.match(s.mode_reason, /attributable 96\.0% ≥ 95\.0%; variance 1\.0% < 2\.0%/);
  });
  test('showback with every failing gate named', () => {
    const s = teamSummary({ ...figures, attributable: money('80'), varianceAbs: money('3') }, { keysWithoutOwner: ['key-9'], hasCostCenter: false }, defaultPolicy);
    assert.equal(s.mode, 'showback');
    assert.match(s.mode_reason, /attributable 80\.0% < 95\.0%/);
    assert.match(s.mode_reason, /variance 3\.0% ≥ 2\.0%/);
    assert.match(s.mode_reason, /key-9/);
    assert.match(s.mode_reason, /no cost center/);
  });
  test('thresholds come from the policy', () => {
    const s = teamSummary({ ...figures, attributable: money('80') }, { keysWithoutOwner: [], hasCostCenter: true }, parsePolicy({ chargeback: { min_attributable_share: '0.75' } }));
    assert.equal(s.mode, 'chargeback');
  });
});

describe('allocate: properties', () => {
  const amount = fc.integer({ min: -50_000, max: 2_000_000 }).map((n) => new Decimal(n).dividedBy(10_000));
  const positive = fc.integer({ min: 0, max: 2_000_000 }).map((n) => new Decimal(n).dividedBy(10_000));
  const team = fc.constantFrom<string | null>('support', 'sales', 'agents', null);
  const invoiceId = fc.constantFrom('INV-1', 'INV-2');
  const usageArb = fc.record({ invoiceId, team, model: fc.constantFrom('a', 'b'), workflow: fc.constantFrom<string | null>('w1', null), retry: fc.boolean(), basis: positive, share: positive });
  const policyArb = fc.record({
    untagged: fc.constantFrom('bucket', 'proportional', 'even'),
    retries: fc.constantFrom('owner', 'platform'),
    discounts_and_credits: fc.constantFrom('proportional', 'central'),
    tax_and_fees: fc.constantFrom('proportional', 'central'),
    residual_variance: fc.constantFrom('proportional', 'central'),
  });
  const inputArb = fc.record({
    policy: policyArb,
    usage: fc.array(usageArb, { maxLength: 12 }),
    unmatched: fc.array(fc.record({ invoiceId, amount }), { maxLength: 3 }),
    adjustments: fc.array(fc.record({ invoiceId, lineType: fc.constantFrom('discount', 'credit', 'tax', 'fee' as const), amount }), { maxLength: 4 }),
    disputes: fc.array(fc.record({ team: fc.constantFrom('support', 'sales', 'platform'), amount: positive }), { maxLength: 2 }),
  });

  test('the rows sum exactly to the invoice total rounded once, per invoice to its amount within a cent (exactly when whole cents); untagged spend is never lost; no group is allocated twice', () => {
    fc.assert(
      fc.property(inputArb, (gen) => {
        const policy = parsePolicy(gen.policy);
        const usageShares = gen.usage.map((u) => usage({ provider: 'openai', invoiceId: u.invoiceId, team: u.team, model: u.model, workflow: u.workflow, retry: u.retry, cost: u.basis.toFixed(), invoiced: u.share.toFixed() }));
        const unmatched = gen.unmatched.map((m) => ({ provider: 'openai', invoiceId: m.invoiceId, model: 'x', amount: m.amount, reason: 'no_ledger_records' as const }));
        const adjustments = gen.adjustments.map((a) => ({ provider: 'openai', invoiceId: a.invoiceId, lineType: a.lineType, amount: a.amount }));
        const totals = ['INV-1', 'INV-2'].map((id) => ({
          provider: 'openai',
          invoiceId: id,
          amount: sum([...usageShares.filter((u) => u.invoiceId === id).map((u) => u.share), ...unmatched.filter((m) => m.invoiceId === id).map((m) => m.amount), ...adjustments.filter((a) => a.invoiceId === id).map((a) => a.amount)]),
        }));
        const input: AllocationInput = {
          policy,
          costCenters: new Map(),
          invoices: totals,
          usage: usageShares,
          unmatched,
          adjustments,
          disputes: gen.disputes.map((d, i) => ({ id: String(i + 1), team: d.team, amount: d.amount, reason: 'test' })),
        };
        const result = allocate(input);
        // README "Rounding": the period's invoice total is rounded once (half-up) and shared over the invoices
        const total = sum(totals.map((t) => t.amount));
        assert.equal(sum(result.rows.map((r) => r.amount)).toFixed(2), total.toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2));
        for (const t of totals) {
          const rows = result.rows.filter((r) => r.invoice_id === t.invoiceId);
          const allocated = sum(rows.map((r) => r.amount));
          assert.ok(allocated.minus(t.amount).abs().lessThan('0.01'), `invoice ${t.invoiceId} of ${t.amount.toFixed()} allocated ${allocated.toFixed(2)}`);
          if (totals.every((x) => x.amount.times(100).isInteger())) assert.equal(allocated.toFixed(2), t.amount.toFixed(2));
          for (const r of rows) assert.ok(r.amount.times(100).isInteger());
          // every finest-grain key appears once per invoice
          const keys = rows.map((r) => [r.team, r.cost_center, r.service, r.workflow, r.model, r.component].join('|'));
          assert.equal(new Set(keys).size, keys.length);
          // untagged spend: what was charged for untagged records reappears in full as component 'untagged'
          const untaggedIn = sum(usageShares.filter((u) => u.invoiceId === t.invoiceId && u.team === null).map((u) => (policy.residual_variance === 'central' ? u.basis : u.share)));
          const untaggedOut = sum(rows.filter((r) => r.component === 'untagged').map((r) => r.exact));
          assert.ok(untaggedOut.minus(untaggedIn).abs().lessThan('0.0000001'), `untagged ${untaggedIn} became ${untaggedOut}`);
          // the priced cost of every record group is carried exactly once
          const basisIn = sum(usageShares.filter((u) => u.invoiceId === t.invoiceId).map((u) => u.basis));
          assert.ok(sum(rows.map((r) => r.basis)).minus(basisIn).abs().lessThan('0.0000001'));
        }
      }),
      { numRuns: 300 },
    );
  });
});
