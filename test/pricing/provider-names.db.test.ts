import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { describeEachBackend, type TestStore } from '../support/db.ts';
import { insertInvoiceLines, insertLedgerRecords, insertRateCard, invoiceLine, ledgerRecord, rateCardLine, type LedgerRecordInput, type RateCardLineInput } from '../support/builders.ts';
import { runPeriod } from '../../src/run/run-period.ts';
import { parsePeriod } from '../../src/period.ts';
import { defaultPolicy } from '../../src/allocate/policy.ts';
import { parseSettings } from '../../src/settings.ts';
import { createLogger } from '../../src/log.ts';
import { Decimal } from '../../src/money.ts';

// A month whose card and invoices name models the way providers' pricing pages, the OpenAI Costs
// API and Anthropic's cost report do (undated aliases, dated snapshots on the invoice from mid-
// month, Vertex `@` names in the ledger) must price and allocate exactly like the same month
// written with canonical names. The truth is computed by hand below from the list prices, not
// read from recon: every record's cost, each team's charge (one team per model, so its charge is
// the invoice of its model), and that nothing is unpriced or unmatched.

const log = createLogger({ logFormat: 'json', logLevel: 'error' });

// List prices, USD per 1M tokens (OpenAI and Anthropic pricing pages).
const PRICES = {
  'gpt-4.1': { dated: 'gpt-4.1-2025-04-14', provider: 'openai', input: '2.00', output: '8.00', team: 'research' },
  'gpt-4.1-mini': { dated: 'gpt-4.1-mini-2025-04-14', provider: 'openai', input: '0.40', output: '1.60', team: 'support' },
  'claude-sonnet-4-5': { dated: 'claude-sonnet-4-5-20250929', provider: 'anthropic', input: '3', output: '15', team: 'sales' },
} as const;
type Undated = keyof typeof PRICES;

// What each gateway logs: OpenAI and Anthropic answer with the dated snapshot; one gateway logs
// the undated name it was asked for; Vertex spells the snapshot with '@'.
const LEDGER_NAMES: { model: Undated; provider: string; response_model: string }[] = [
  { model: 'gpt-4.1', provider: 'openai', response_model: 'gpt-4.1-2025-04-14' },
  { model: 'gpt-4.1-mini', provider: 'openai', response_model: 'gpt-4.1-mini' },
  { model: 'claude-sonnet-4-5', provider: 'anthropic', response_model: 'claude-sonnet-4-5-20250929' },
];

const DAYS = Array.from({ length: 28 }, (_, i) => `2026-05-${String(i + 1).padStart(2, '0')}`);

interface Truth {
  records: LedgerRecordInput[];
  /** per team: the invoice of its model (the truth of its charge) */
  team: Map<string, Decimal>;
  priced: Decimal;
  invoice: { provider: string; day: string; model: Undated; category: 'input' | 'output'; quantity: number; amount: Decimal }[];
}

function truthMonth(): Truth {
  const records: LedgerRecordInput[] = [];
  const team = new Map<string, Decimal>();
  const invoice: Truth['invoice'] = [];
  let priced = new Decimal(0);
  for (const [d, day] of DAYS.entries()) {
    for (const [k, name] of LEDGER_NAMES.entries()) {
      const p = PRICES[name.model];
      let input = 0;
      let output = 0;
      for (let i = 0; i < 3; i++) {
        const inTok = 1_000 + 137 * d + 1_009 * k + 71 * i;
        const outTok = 200 + 31 * d + 17 * k + 5 * i;
        input += inTok;
        output += outTok;
        records.push(ledgerRecord({
          request_id: `${name.model}-${day}-${i}`,
          ts: `${day}T${String(3 + i * 7).padStart(2, '0')}:15:00Z`,
          provider: name.provider,
          response_model: name.response_model,
          input_tokens: inTok,
          output_tokens: outTok,
          team: p.team,
        }));
      }
      const cost = {
        input: new Decimal(input).times(p.input).div(1_000_000),
        output: new Decimal(output).times(p.output).div(1_000_000),
      };
      priced = priced.plus(cost.input).plus(cost.output);
      for (const category of ['input', 'output'] as const) {
        // providers bill each line rounded to the cent
        const amount = cost[category].toDecimalPlaces(2);
        invoice.push({ provider: name.provider, day, model: name.model, category, quantity: category === 'input' ? input : output, amount });
        team.set(p.team, (team.get(p.team) ?? new Decimal(0)).plus(amount));
      }
    }
  }
  return { records, team, priced, invoice };
}

type Naming = 'canonical' | 'provider';

function card(naming: Naming): RateCardLineInput[] {
  return Object.entries(PRICES).flatMap(([undated, p]) =>
    (['input', 'output'] as const).map((category) =>
      rateCardLine({ provider: p.provider, model: naming === 'canonical' ? p.dated : undated, token_category: category, unit_price: p[category], effective_from: '2026-01-01T00:00:00Z' }),
    ),
  );
}

async function loadMonth(store: TestStore, naming: Naming, truth: Truth): Promise<void> {
  await insertRateCard(store, `card-${naming}`, card(naming));
  await insertLedgerRecords(store, truth.records);
  await insertInvoiceLines(
    store,
    truth.invoice.map((line) => {
      const p = PRICES[line.model];
      // provider naming: the undated name until the 14th, the dated snapshot from the 15th on
      const model = naming === 'canonical' || line.day >= '2026-05-15' ? p.dated : line.model;
      return invoiceLine({
        provider: line.provider, invoice_id: `INV-${line.provider}`, charge_date: line.day, provider_model: `${model}, ${line.category}`,
        model, token_category: line.category, quantity: String(line.quantity), amount: line.amount.toFixed(2),
      });
    }),
  );
}

async function reconcile(store: TestStore) {
  const outcome = await runPeriod(store, { period: parsePeriod('2026-05'), trigger: 'manual', settings: parseSettings({}), policy: defaultPolicy, log });
  const runId = outcome.run_id;
  const cube = await sql<{ cost: string; unpriced: string }>`
    select coalesce(sum(cost), 0)::text as cost, coalesce(sum(records) filter (where unpriced_reason is not null and token_category = 'request'), 0)::text as unpriced
    from run_cost_cube where run_id = ${runId}::bigint`.execute(store.db);
  const byTeam = await sql<{ team: string; component: string; amount: string }>`
    select team, component, sum(amount)::text as amount from run_allocation where run_id = ${runId}::bigint group by 1, 2 order by 1, 2`.execute(store.db);
  return { cost: new Decimal(cube.rows[0]!.cost), unpriced: cube.rows[0]!.unpriced, allocations: byTeam.rows };
}

for (const naming of ['canonical', 'provider'] as const) {
  describeEachBackend(`a month named the ${naming === 'canonical' ? 'canonical' : "providers'"} way prices and allocates to the truth`, (store) => {
    test('priced total, unpriced records and every team charge equal the hand-computed truth', async () => {
      const truth = truthMonth();
      await loadMonth(store(), naming, truth);
      const result = await reconcile(store());
      assert.equal(result.unpriced, '0', 'no record is unpriced');
      assert.ok(result.cost.equals(truth.priced), `priced ${result.cost.toFixed()} vs truth ${truth.priced.toFixed()}`);
      assert.deepEqual(result.allocations.filter((a) => a.component === 'unmatched_invoice'), [], 'no invoice dollar is unmatched');
      const charged = new Map<string, Decimal>();
      for (const a of result.allocations) charged.set(a.team, (charged.get(a.team) ?? new Decimal(0)).plus(a.amount));
      for (const [team, amount] of truth.team) {
        assert.equal(charged.get(team)?.toFixed(2), amount.toFixed(2), `${team} is charged its own invoice`);
      }
      assert.deepEqual([...charged.keys()].sort(), [...truth.team.keys()].sort(), 'nobody else is charged');
    });
  });
}

describeEachBackend('names a card prices itself, and Vertex @ names', (store) => {
  test('gpt-4o-mini at priority keeps its own line; the dated snapshot reaches it through the alias; Vertex claude-sonnet-4-5@20250929 is priced', async () => {
    await insertRateCard(store(), 'mini', [
      rateCardLine({ model: 'gpt-4o-mini', token_category: 'input', unit_price: '0.15' }),
      rateCardLine({ model: 'gpt-4o-mini', service_tier: 'priority', token_category: 'input', unit_price: '0.25' }),
      // the dated entry has only a standard line, at another price: it wins for its own name
      rateCardLine({ model: 'gpt-4o-mini-2024-07-18', token_category: 'input', unit_price: '0.16' }),
      rateCardLine({ provider: 'gcp.vertex_ai', model: 'claude-sonnet-4-5', token_category: 'input', unit_price: '3.30' }),
    ]);
    const at = '2026-05-10T10:00:00Z';
    await insertLedgerRecords(store(), [
      ledgerRecord({ request_id: 'a', ts: at, response_model: 'gpt-4o-mini', service_tier: 'priority', input_tokens: 1_000_000, output_tokens: 0, team: 'a' }),
      ledgerRecord({ request_id: 'b', ts: at, response_model: 'gpt-4o-mini-2024-07-18', service_tier: 'priority', input_tokens: 1_000_000, output_tokens: 0, team: 'b' }),
      ledgerRecord({ request_id: 'c', ts: at, response_model: 'gpt-4o-mini', input_tokens: 1_000_000, output_tokens: 0, team: 'c' }),
      ledgerRecord({ request_id: 'd', ts: at, response_model: 'gpt-4o-mini-2024-07-18', input_tokens: 1_000_000, output_tokens: 0, team: 'd' }),
      ledgerRecord({ request_id: 'e', ts: at, provider: 'gcp.vertex_ai', response_model: 'claude-sonnet-4-5@20250929', input_tokens: 1_000_000, output_tokens: 0, team: 'e' }),
    ]);
    const outcome = await runPeriod(store(), { period: parsePeriod('2026-05'), trigger: 'manual', settings: parseSettings({}), policy: defaultPolicy, log });
    const { rows } = await sql<{ team: string; model: string; cost: string; reasons: string | null }>`
      select team, min(model) as model, sum(cost)::text as cost, string_agg(distinct unpriced_reason, ',') as reasons
      from run_cost_cube where run_id = ${outcome.run_id}::bigint group by team order by team`.execute(store().db);
    const got = Object.fromEntries(rows.map((r) => [r.team, { model: r.model, cost: new Decimal(r.cost).toFixed(2), reasons: r.reasons }]));
    assert.deepEqual(got, {
      a: { model: 'gpt-4o-mini-2024-07-18', cost: '0.25', reasons: null },
      b: { model: 'gpt-4o-mini-2024-07-18', cost: '0.25', reasons: null },
      c: { model: 'gpt-4o-mini-2024-07-18', cost: '0.15', reasons: null },
      d: { model: 'gpt-4o-mini-2024-07-18', cost: '0.16', reasons: null },
      e: { model: 'claude-sonnet-4-5-20250929', cost: '3.30', reasons: null },
    });
  });
});
