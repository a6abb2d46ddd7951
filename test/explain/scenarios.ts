import { sql } from 'kysely';
import { Decimal, money, sum } from '../../src/money.ts';
import { parsePeriod } from '../../src/period.ts';
import { parseSettings } from '../../src/settings.ts';
import { computeVarianceCells } from '../../src/reconcile/variance-cells.ts';
import { explainVariance } from '../../src/explain/explain-variance.ts';
import type { Cause } from '../../src/explain/attribute.ts';
import type { TestStore } from '../support/db.ts';
import { insertInvoiceLines, insertLedgerRecords, invoiceLine, ledgerRecord, type InvoiceLineInput, type LedgerRecordInput } from '../support/builders.ts';
import { cubeRow, insertCubeRows, insertRun, type CubeRowInput } from '../support/run-builders.ts';

// Named planted scenarios: each returns the inputs of one month and the amount planted per cause.
// Prices (USD per 1M tokens) follow the card the tests insert: gpt-4o input 2.50, cached 1.25,
// output 10.00, batch input 1.25; gpt-4o-mini input 0.15, output 0.60.

export interface Scenario {
  invoice: InvoiceLineInput[];
  cube: CubeRowInput[];
  ledger: LedgerRecordInput[];
  planted: Partial<Record<Cause, string>>;
}

const M = 1_000_000;
const GPT4O = 'gpt-4o-2024-08-06';
const MINI = 'gpt-4o-mini-2024-07-18';

export function empty(): Scenario {
  return { invoice: [], cube: [], ledger: [], planted: {} };
}

export function combine(...parts: Scenario[]): Scenario {
  const planted: Partial<Record<Cause, string>> = {};
  for (const p of parts) {
    for (const [cause, amount] of Object.entries(p.planted)) {
      planted[cause as Cause] = money(planted[cause as Cause] ?? '0').plus(money(amount)).toFixed();
    }
  }
  return { invoice: parts.flatMap((p) => p.invoice), cube: parts.flatMap((p) => p.cube), ledger: parts.flatMap((p) => p.ledger), planted };
}

/** Cells where invoice and ledger agree exactly: usage that explains nothing. */
export function matched(month: string, day: string, tokens: number, provider = 'openai'): Scenario {
  const amount = new Decimal(tokens).times('2.5').dividedBy(M).toFixed();
  return {
    invoice: [invoiceLine({ provider, charge_date: `${month}-${day}`, quantity: String(tokens), amount })],
    cube: [cubeRow({ provider, day: `${month}-${day}`, quantity: tokens, cost: amount, records: 100 })],
    ledger: [],
    planted: {},
  };
}

/** The gateway logged 4M input tokens as standard; the provider billed them as batch at half price. */
export function batchBilled(month: string): Scenario {
  return {
    invoice: [invoiceLine({ charge_date: `${month}-03`, service_tier: 'batch', quantity: '4000000', amount: '5.00' })],
    cube: [cubeRow({ day: `${month}-03`, quantity: 4_000_000, cost: '10.00', records: 400 })],
    ledger: [],
    planted: { batch_tier: '-5.00' },
  };
}

/** 1M cache writes logged as 5-minute, billed as 1-hour; cache reads billed at $1.50/M instead of $1.25/M. */
export function cacheMispriced(month: string): Scenario {
  return {
    invoice: [
      invoiceLine({ charge_date: `${month}-04`, token_category: 'cache_write_1h', quantity: '1000000', amount: '6.00' }),
      invoiceLine({ charge_date: `${month}-04`, token_category: 'cached_input', quantity: '10000000', amount: '15.00' }),
    ],
    cube: [
      cubeRow({ day: `${month}-04`, token_category: 'cache_write_5m', quantity: 1_000_000, cost: '3.75', records: 50 }),
      cubeRow({ day: `${month}-04`, token_category: 'cached_input', quantity: 10_000_000, cost: '12.50', records: 500 }),
    ],
    ledger: [],
    planted: { cache_pricing: '4.75' },
  };
}

/** A credit and a discount line, plus a provider billing every model 10% below the card. */
export function discounted(month: string): Scenario {
  const azure = 'azure.ai.openai';
  return {
    invoice: [
      invoiceLine({ charge_date: `${month}-28`, line_type: 'credit', model: null, provider_model: null, token_category: null, quantity: null, amount: '-25.00' }),
      invoiceLine({ charge_date: `${month}-28`, line_type: 'discount', model: null, provider_model: null, token_category: null, quantity: null, amount: '-10.00' }),
      invoiceLine({ provider: azure, charge_date: `${month}-06`, quantity: '10000000', amount: '22.50' }),
      invoiceLine({ provider: azure, charge_date: `${month}-06`, token_category: 'output', quantity: '2000000', amount: '18.00' }),
    ],
    cube: [
      cubeRow({ provider: azure, day: `${month}-06`, quantity: 10_000_000, cost: '25.00' }),
      cubeRow({ provider: azure, day: `${month}-06`, token_category: 'output', quantity: 2_000_000, cost: '20.00' }),
    ],
    ledger: [],
    planted: { invoice_discount: '-39.50' },
  };
}

/** gpt-4o-mini input billed at $0.12/M while the card still says $0.15/M; output at the card. */
export function staleCard(month: string): Scenario {
  return {
    invoice: [
      invoiceLine({ model: MINI, charge_date: `${month}-07`, quantity: '200000000', amount: '24.00' }),
      invoiceLine({ model: MINI, charge_date: `${month}-07`, token_category: 'output', quantity: '1000000', amount: '0.60' }),
    ],
    cube: [
      cubeRow({ model: MINI, day: `${month}-07`, quantity: 200_000_000, cost: '30.00' }),
      cubeRow({ model: MINI, day: `${month}-07`, token_category: 'output', quantity: 1_000_000, cost: '0.60' }),
    ],
    ledger: [],
    planted: { stale_price_card: '-6.00' },
  };
}

/** The invoice names an Azure-style deployment the alias map does not know, the ledger the dated model; same quantity and price. */
export function aliased(month: string): Scenario {
  return {
    invoice: [invoiceLine({ model: 'prod-gpt4o-eastus', provider_model: 'prod-gpt4o-eastus', charge_date: `${month}-08`, quantity: '4000000', amount: '10.00' })],
    cube: [cubeRow({ day: `${month}-08`, quantity: 4_000_000, cost: '10.00' })],
    ledger: [],
    planted: { model_alias: '0' },
  };
}

/** Records asked for gpt-4o; the gateway logged and priced them as gpt-4o-mini; the provider billed gpt-4o. */
export function fallback(month: string): Scenario {
  return {
    invoice: [invoiceLine({ charge_date: `${month}-09`, quantity: '2000000', amount: '5.00' })],
    cube: [cubeRow({ model: MINI, requested_model: GPT4O, day: `${month}-09`, quantity: 2_000_000, cost: '0.30', records: 2 })],
    ledger: [
      ledgerRecord({ ts: `${month}-09T08:00:00Z`, request_id: `fb-${month}-b`, response_model: MINI, requested_model: GPT4O, input_tokens: 1_000_000 }),
      ledgerRecord({ ts: `${month}-09T09:00:00Z`, request_id: `fb-${month}-a`, response_model: MINI, requested_model: GPT4O, input_tokens: 1_000_000 }),
    ],
    planted: { fallback_drift: '4.70' },
  };
}

/** 1M input tokens of failed attempts logged and priced by the gateway; the provider billed none. */
export function retried(month: string): Scenario {
  return {
    invoice: [invoiceLine({ charge_date: `${month}-10`, quantity: '10000000', amount: '25.00' })],
    cube: [
      cubeRow({ day: `${month}-10`, quantity: 10_000_000, cost: '25.00', records: 100 }),
      cubeRow({ day: `${month}-10`, quantity: 1_000_000, cost: '2.50', records: 3, status: 'error' }),
    ],
    ledger: ['c', 'a', 'b'].map((s) => ledgerRecord({ ts: `${month}-10T07:00:00Z`, request_id: `retry-${month}-${s}`, status: 'error', http_status: 500 })),
    planted: { retry_billing: '-2.50' },
  };
}

/** 10 partial streams logged 200k output tokens each where complete ones average 1M: 8M output billed, not logged. */
export function partialStreams(month: string): Scenario {
  return {
    invoice: [invoiceLine({ charge_date: `${month}-11`, token_category: 'output', quantity: '110000000', amount: '1100.00' })],
    cube: [
      cubeRow({ day: `${month}-11`, token_category: 'output', quantity: 100_000_000, cost: '1000.00', records: 100 }),
      cubeRow({ day: `${month}-11`, token_category: 'output', quantity: 2_000_000, cost: '20.00', records: 10, status: 'partial' }),
    ],
    ledger: [ledgerRecord({ ts: `${month}-11T05:00:00Z`, request_id: `partial-${month}`, status: 'partial' })],
    planted: { streaming_partial: '80.00' },
  };
}

/**
 * A provider with a steady 5 records an hour for six days, except hours 10–13 UTC on the 14th
 * where the log shipper was down; the invoice bills the usual 12M input tokens every day.
 */
export function ingestionGap(month: string, provider = 'gcp.vertex_ai', tokensPerRecord = 100_000, price = '2.50'): Scenario {
  const s = empty();
  const perDay = 24 * 5;
  for (let d = 12; d <= 17; d++) {
    const day = `${month}-${d}`;
    let seen = 0;
    for (let h = 0; h < 24; h++) {
      if (d === 14 && h >= 10 && h < 14) continue;
      for (let i = 0; i < 5; i++) {
        s.ledger.push(ledgerRecord({ provider, ts: `${day}T${String(h).padStart(2, '0')}:${String(i * 10).padStart(2, '0')}:00Z`, input_tokens: tokensPerRecord, output_tokens: 0 }));
        seen++;
      }
    }
    const cost = (n: number) => new Decimal(n * tokensPerRecord).times(price).dividedBy(M).toFixed();
    s.invoice.push(invoiceLine({ provider, charge_date: day, quantity: String(perDay * tokensPerRecord), amount: cost(perDay) }));
    s.cube.push(cubeRow({ provider, day, quantity: seen * tokensPerRecord, cost: cost(seen), records: seen }));
  }
  s.planted = { ingestion_gap: new Decimal(20 * tokensPerRecord).times(price).dividedBy(M).toFixed() };
  return s;
}

/** 5M tokens of a model the card does not know: logged but unpriced; billed $10. */
export function unpriced(month: string): Scenario {
  return {
    invoice: [invoiceLine({ model: 'o9-preview', charge_date: `${month}-15`, quantity: '5000000', amount: '10.00' })],
    cube: [cubeRow({ model: 'o9-preview', day: `${month}-15`, quantity: 5_000_000, cost: '0', unpriced_reason: 'no_card_for_model', records: 20 })],
    ledger: [],
    planted: { unpriced_model: '10.00' },
  };
}

export function unmapped(month: string): Scenario {
  return {
    invoice: [invoiceLine({ charge_date: `${month}-16`, model: null, provider_model: 'mystery-sku-9', token_category: null, quantity: '1000', amount: '7.77' })],
    cube: [],
    ledger: [],
    planted: { unmapped_invoice_line: '7.77' },
  };
}

/** Three lines each rounded up to the cent by the provider. */
export function rounded(month: string): Scenario {
  const tokens = 1_234_567;
  const exact = new Decimal(tokens).times('2.5').dividedBy(M);
  return {
    invoice: [1, 2, 3].map(() => invoiceLine({ charge_date: `${month}-17`, quantity: String(tokens), amount: exact.toDecimalPlaces(2).toFixed(2) })),
    cube: [cubeRow({ day: `${month}-17`, quantity: tokens * 3, cost: exact.times(3).toFixed() })],
    ledger: [],
    planted: { rounding: exact.toDecimalPlaces(2).minus(exact).times(3).toFixed() },
  };
}

/** 26.5M output tokens billed with no trace in the ledger and no pattern to blame. */
export function unexplainedSurplus(month: string): Scenario {
  return {
    invoice: [invoiceLine({ charge_date: `${month}-20`, token_category: 'output', quantity: '36500000', amount: '365.00' })],
    cube: [cubeRow({ day: `${month}-20`, token_category: 'output', quantity: 10_000_000, cost: '100.00' })],
    ledger: [],
    planted: { unexplained: '265.00' },
  };
}

export type TestDb = TestStore["db"];

export interface Reconciled {
  runId: string;
  causes: Map<string, Decimal>;
  variance: Decimal;
  invoiceTotal: Decimal;
  ledgerTotal: Decimal;
}

/** Inserts the scenario for `month`, reconciles it in a new run and returns the cause totals. */
export async function reconcileScenario(store: TestStore, month: string, scenario: Scenario): Promise<Reconciled> {
  await insertInvoiceLines(store, scenario.invoice);
  if (scenario.ledger.length > 0) await insertLedgerRecords(store, scenario.ledger);
  const runId = await insertRun(store, month);
  await insertCubeRows(store, runId, scenario.cube);
  const period = parsePeriod(month);
  await store.db.transaction().execute(async (tx) => {
    await computeVarianceCells(tx, { runId, period, settings: parseSettings({}) });
    await explainVariance(tx, { runId, period });
  });
  const { rows } = await sql<{ cause: string; amount: string }>`
    select cause, sum(amount)::text as amount from run_variance_cause where run_id = ${runId}::bigint group by cause`.execute(store.db);
  const invoiceTotal = sum(scenario.invoice.map((l) => money(l.amount)));
  const ledgerTotal = sum(scenario.cube.map((c) => money(c.cost)));
  return { runId, causes: new Map(rows.map((r) => [r.cause, money(r.amount)])), variance: invoiceTotal.minus(ledgerTotal), invoiceTotal, ledgerTotal };
}

/** The month the CLI tests explain: a batch shift, failed attempts, a discount and an unexplained surplus. */
export function cliScenario(month: string): Scenario {
  return combine(batchBilled(month), retried(month), unexplainedSurplus(month), discounted(month), matched(month, '25', 8_000_000));
}
