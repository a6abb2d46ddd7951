import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { describeEachBackend } from '../support/db.ts';
import { insertInvoiceLines, insertLedgerRecords, insertRateCard, invoiceLine, ledgerRecord, rateCardLine, type InvoiceLineInput, type LedgerRecordInput } from '../support/builders.ts';
import { runPeriod } from '../../src/run/run-period.ts';
import { parsePeriod } from '../../src/period.ts';
import { defaultPolicy, parsePolicy } from '../../src/allocate/policy.ts';
import { parseSettings } from '../../src/settings.ts';
import { createLogger } from '../../src/log.ts';
import { Decimal } from '../../src/money.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { writeAllocationWorkbook, writeDisputeWorkbook } from '../../src/workbooks/write-workbooks.ts';

// A month with planted faults whose true owner is known by construction, and an invoice written
// the way the provider billed it:
// - growth's nightly batch job is logged as `standard` but billed at batch rates;
// - research's 1-hour cache writes are logged as 5-minute writes, billed as 1-hour;
// - research's failed attempts (HTTP 529) are logged and priced by the gateway, never billed;
// - support's traffic is ordinary.
// The truth of each team's charge is the invoice of the usage its records caused, computed here
// from the list prices; misallocation = ½ Σ |charged − caused| must stay under 0.5% of the invoice.

const log = createLogger({ logFormat: 'json', logLevel: 'error' });
const DAYS = Array.from({ length: 20 }, (_, i) => `2026-05-${String(i + 1).padStart(2, '0')}`);
const GPT = { model: 'gpt-4.1-2025-04-14', standard: { input: '2', output: '8' }, batch: { input: '1', output: '4' } };
const CLAUDE = { model: 'claude-sonnet-4-5-20250929', input: '3', output: '15', cache_write_5m: '3.75', cache_write_1h: '6' };

interface Month {
  records: LedgerRecordInput[];
  invoice: InvoiceLineInput[];
  caused: Map<string, Decimal>;
  total: Decimal;
  /** per team: its records priced at the card's prices as logged (what recon's own priced usage must be) */
  ownPriced: Map<string, Decimal>;
  /** the planted causes' true effect on each team's charge against its own priced usage */
  effect: { growthBatch: Decimal; researchCache: Decimal; researchUnbilled: Decimal };
}

function plantedMonth(): Month {
  const records: LedgerRecordInput[] = [];
  const invoice: InvoiceLineInput[] = [];
  const caused = new Map<string, Decimal>();
  let total = new Decimal(0);
  const ownPriced = new Map<string, Decimal>();
  const price = (team: string, ...parts: [number, string][]) =>
    ownPriced.set(team, parts.reduce((acc, [q, p]) => acc.plus(new Decimal(q).times(p).div(1_000_000)), ownPriced.get(team) ?? new Decimal(0)));
  const effect = { growthBatch: new Decimal(0), researchCache: new Decimal(0), researchUnbilled: new Decimal(0) };
  const cause = (team: string, amount: Decimal) => caused.set(team, (caused.get(team) ?? new Decimal(0)).plus(amount));
  for (const [d, day] of DAYS.entries()) {
    // billed quantities per (provider, model, tier, category) and who caused them
    const billed = new Map<string, { provider: string; model: string; tier: string; category: string; price: string; byTeam: Map<string, number> }>();
    const bill = (provider: string, model: string, tier: string, category: string, price: string, team: string, quantity: number) => {
      const key = `${provider}|${model}|${tier}|${category}`;
      const line = billed.get(key) ?? { provider, model, tier, category, price, byTeam: new Map() };
      line.byTeam.set(team, (line.byTeam.get(team) ?? 0) + quantity);
      billed.set(key, line);
    };
    for (let i = 0; i < 4; i++) {
      const ts = (h: number) => `${day}T${String(h).padStart(2, '0')}:${String(10 + i).padStart(2, '0')}:00Z`;
      // support: ordinary standard traffic
      const sIn = 20_000 + 300 * d + 50 * i;
      const sOut = 2_000 + 40 * d;
      records.push(ledgerRecord({ request_id: `sup-${day}-${i}`, ts: ts(9), response_model: GPT.model, input_tokens: sIn, output_tokens: sOut, team: 'support' }));
      price('support', [sIn, GPT.standard.input], [sOut, GPT.standard.output]);
      bill('openai', GPT.model, 'standard', 'input', GPT.standard.input, 'support', sIn);
      bill('openai', GPT.model, 'standard', 'output', GPT.standard.output, 'support', sOut);
      // research: standard traffic, plus a failed attempt before each success that was never billed
      const rIn = 8_000 + 100 * d + 10 * i;
      const rOut = 900 + 20 * i;
      records.push(ledgerRecord({ request_id: `res-${day}-${i}`, ts: ts(11), response_model: GPT.model, input_tokens: rIn, output_tokens: rOut, team: 'research', attempt: 2, original_request_id: `res-${day}-${i}` }));
      records.push(ledgerRecord({ request_id: `res-${day}-${i}`, ts: ts(10), response_model: GPT.model, input_tokens: rIn, output_tokens: rOut, team: 'research', attempt: 1, status: 'error', http_status: 529 }));
      price('research', [rIn, GPT.standard.input], [rOut, GPT.standard.output], [rIn, GPT.standard.input], [rOut, GPT.standard.output]);
      effect.researchUnbilled = effect.researchUnbilled.minus(new Decimal(rIn).times(GPT.standard.input).plus(new Decimal(rOut).times(GPT.standard.output)).div(1_000_000));
      bill('openai', GPT.model, 'standard', 'input', GPT.standard.input, 'research', rIn);
      bill('openai', GPT.model, 'standard', 'output', GPT.standard.output, 'research', rOut);
      // growth: the nightly batch job, logged as standard, billed at batch rates
      const gIn = 50_000 + 700 * d + 90 * i;
      const gOut = 6_000 + 80 * d;
      records.push(ledgerRecord({ request_id: `gro-${day}-${i}`, ts: ts(2), response_model: GPT.model, input_tokens: gIn, output_tokens: gOut, team: 'growth', workflow: 'nightly-batch' }));
      price('growth', [gIn, GPT.standard.input], [gOut, GPT.standard.output]);
      effect.growthBatch = effect.growthBatch.plus(
        new Decimal(gIn).times(new Decimal(GPT.batch.input).minus(GPT.standard.input)).plus(new Decimal(gOut).times(new Decimal(GPT.batch.output).minus(GPT.standard.output))).div(1_000_000),
      );
      bill('openai', GPT.model, 'batch', 'input', GPT.batch.input, 'growth', gIn);
      bill('openai', GPT.model, 'batch', 'output', GPT.batch.output, 'growth', gOut);
      // research on Anthropic: 1-hour cache writes logged as 5-minute writes
      const cw = 30_000 + 500 * d;
      const cIn = 1_000 + 10 * i;
      const cOut = 700;
      records.push(ledgerRecord({
        request_id: `cache-${day}-${i}`, ts: ts(14), provider: 'anthropic', response_model: CLAUDE.model, input_tokens: cIn + cw,
        cache_write_5m_input_tokens: cw, output_tokens: cOut, team: 'research',
      }));
      price('research', [cIn, CLAUDE.input], [cw, CLAUDE.cache_write_5m], [cOut, CLAUDE.output]);
      effect.researchCache = effect.researchCache.plus(new Decimal(cw).times(new Decimal(CLAUDE.cache_write_1h).minus(CLAUDE.cache_write_5m)).div(1_000_000));
      bill('anthropic', CLAUDE.model, 'standard', 'input', CLAUDE.input, 'research', cIn);
      bill('anthropic', CLAUDE.model, 'standard', 'cache_write_1h', CLAUDE.cache_write_1h, 'research', cw);
      bill('anthropic', CLAUDE.model, 'standard', 'output', CLAUDE.output, 'research', cOut);
    }
    for (const line of billed.values()) {
      const quantity = [...line.byTeam.values()].reduce((a, b) => a + b, 0);
      const amount = new Decimal(quantity).times(line.price).div(1_000_000).toDecimalPlaces(2);
      total = total.plus(amount);
      invoice.push(invoiceLine({
        provider: line.provider, invoice_id: `INV-${line.provider}`, charge_date: day, provider_model: line.model, model: line.model,
        token_category: line.category, service_tier: line.tier, quantity: String(quantity), amount: amount.toFixed(2),
      }));
      // the line's cents go to the teams whose records it bills, in proportion to their quantity
      for (const [team, q] of line.byTeam) cause(team, amount.times(q).div(quantity));
    }
  }
  return { records, invoice, caused, total, ownPriced, effect };
}

describeEachBackend('allocation follows the evidence on a month with planted faults', (store) => {
  test('batch, cache-write and unbilled retry dollars go to whoever caused them; misallocation under 0.5% of the invoice', async () => {
    const month = plantedMonth();
    await insertRateCard(store(), 'planted', [
      rateCardLine({ model: GPT.model, token_category: 'input', unit_price: GPT.standard.input }),
      rateCardLine({ model: GPT.model, token_category: 'output', unit_price: GPT.standard.output }),
      rateCardLine({ model: GPT.model, service_tier: 'batch', token_category: 'input', unit_price: GPT.batch.input }),
      rateCardLine({ model: GPT.model, service_tier: 'batch', token_category: 'output', unit_price: GPT.batch.output }),
      ...(['input', 'output', 'cache_write_5m', 'cache_write_1h'] as const).map((c) => rateCardLine({ provider: 'anthropic', model: CLAUDE.model, token_category: c, unit_price: CLAUDE[c] })),
    ]);
    await insertLedgerRecords(store(), month.records);
    await insertInvoiceLines(store(), month.invoice);
    const run = await runPeriod(store(), { period: parsePeriod('2026-05'), trigger: 'manual', settings: parseSettings({}), policy: defaultPolicy, log });
    const { rows } = await sql<{ team: string; component: string; amount: string }>`
      select team, component, sum(amount)::text as amount from run_allocation where run_id = ${run.run_id}::bigint group by 1, 2 order by 1, 2`.execute(store().db);
    const charged = new Map<string, Decimal>();
    for (const r of rows) charged.set(r.team, (charged.get(r.team) ?? new Decimal(0)).plus(r.amount));
    const allocated = [...charged.values()].reduce((a, b) => a.plus(b), new Decimal(0));
    assert.equal(allocated.toFixed(2), month.total.toFixed(2), 'allocations sum to the invoice to the cent');
    assert.deepEqual(rows.filter((r) => r.component === 'unmatched_invoice'), [], 'no billed dollar is left unmatched: the causes named its owner');
    const teams = new Set([...charged.keys(), ...month.caused.keys()]);
    let misallocated = new Decimal(0);
    for (const team of teams) misallocated = misallocated.plus((charged.get(team) ?? new Decimal(0)).minus(month.caused.get(team) ?? 0).abs());
    misallocated = misallocated.div(2);
    const detail = [...teams].map((t) => `${t}: charged ${(charged.get(t) ?? new Decimal(0)).toFixed(2)} caused ${(month.caused.get(t) ?? new Decimal(0)).toFixed(2)}`).join('; ');
    assert.ok(misallocated.lte(month.total.times('0.005')), `misallocated ${misallocated.toFixed(2)} of ${month.total.toFixed(2)} (${detail})`);

    // Per team, its charge against its own priced usage, with the causes that moved it.
    const { rows: summaries } = await sql<{ team: string; allocated: string; own_priced_usage: string; charge_bridge: { why: string; amount: string }[]; bridge_flagged: boolean }>`
      select team, allocated::text, own_priced_usage::text, charge_bridge, bridge_flagged from run_team_summary where run_id = ${run.run_id}::bigint order by team`.execute(store().db);
    const bridgeOf = (team: string) => summaries.find((r) => r.team === team)!;
    const line = (team: string, why: string) => new Decimal(bridgeOf(team).charge_bridge.find((l) => l.why === why)?.amount ?? 0);
    const within = (actual: Decimal, truth: Decimal, what: string) =>
      assert.ok(actual.minus(truth).abs().lte(Decimal.max(truth.abs().times('0.01'), '0.01')), `${what}: ${actual.toFixed(4)} vs truth ${truth.toFixed(4)}`);
    for (const team of ['growth', 'research', 'support']) {
      const b = bridgeOf(team);
      // own priced usage is exact: the card's prices times the logged tokens
      assert.equal(new Decimal(b.own_priced_usage).toFixed(6), month.ownPriced.get(team)!.toFixed(6), `${team} own priced usage`);
      // the lines add up exactly to the difference
      const lines = b.charge_bridge.reduce((acc, l) => acc.plus(l.amount), new Decimal(0));
      assert.equal(lines.toFixed(10), new Decimal(b.allocated).minus(b.own_priced_usage).toFixed(10), `${team} bridge adds up`);
    }
    within(line('growth', 'batch_tier'), month.effect.growthBatch, 'growth: batch billed below its standard-priced usage');
    within(line('research', 'cache_pricing'), month.effect.researchCache, 'research: 1h writes billed above their 5m price');
    within(line('research', 'not_invoiced'), month.effect.researchUnbilled, 'research: failed attempts never billed');
    // support's charge is its usage: nothing to flag; nobody's difference is left without a cause
    assert.ok(new Decimal(bridgeOf('support').allocated).minus(bridgeOf('support').own_priced_usage).abs().lt('1'));
    assert.deepEqual(summaries.filter((r) => r.bridge_flagged).map((r) => r.team), []);

    // ... and the workbooks show it: By team's columns, and the team's own dispute workbook
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-planted-'));
    try {
      const book = await writeAllocationWorkbook(store(), { period: '2026-05', outDir: out });
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.readFile(book.path);
      const sheet = wb.getWorksheet('By team')!;
      let header = 0;
      sheet.eachRow((row, n) => { if (!header && row.getCell(1).value === 'Team') header = n; });
      const names = (sheet.getRow(header).values as unknown[]).map(String);
      const col = (name: string) => names.indexOf(name);
      let growthRow: ExcelJS.Row | undefined;
      sheet.eachRow((row, n) => { if (n > header && row.getCell(1).value === 'growth') growthRow = row; });
      assert.ok(Math.abs(Number(growthRow!.getCell(col('Own priced usage')).value) - month.ownPriced.get('growth')!.toNumber()) < 0.000001);
      assert.match(String(growthRow!.getCell(col('What moved it')).value), /^batch_tier -\d+\.\d\d/);
      const dispute = await writeDisputeWorkbook(store(), { period: '2026-05', team: 'growth', outDir: out });
      const dwb = new ExcelJS.Workbook();
      await dwb.xlsx.readFile(dispute.path);
      const notes: string[] = [];
      dwb.getWorksheet('Summary')!.eachRow((row) => notes.push(String(row.getCell(1).value ?? '')));
      assert.ok(notes.some((n) => n.startsWith(`Your own records at card prices: ${month.ownPriced.get('growth')!.toFixed(2)} USD`)), notes.join('\n'));
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }

    // a rerun gives identical numbers
    const again = await runPeriod(store(), { period: parsePeriod('2026-05'), trigger: 'manual', settings: parseSettings({}), policy: defaultPolicy, log });
    assert.equal(again.no_change, true);
  });

  test('policy causes.batch_tier: bucket leaves the batch dollars to the bucket, exactly the batch lines of the invoice', async () => {
    // the month of the test above is in the store; the invoice's batch lines are growth's job
    const month = plantedMonth();
    const batch = month.invoice.filter((l) => l.service_tier === 'batch').reduce((a, l) => a.plus(l.amount), new Decimal(0));
    const run = await runPeriod(store(), { period: parsePeriod('2026-05'), trigger: 'manual', settings: parseSettings({}), policy: parsePolicy({ causes: { batch_tier: 'bucket' } }), log });
    const { rows } = await sql<{ team: string; component: string; amount: string }>`
      select team, component, sum(amount)::text as amount from run_allocation where run_id = ${run.run_id}::bigint group by 1, 2 order by 1, 2`.execute(store().db);
    const unmatched = rows.filter((r) => r.component === 'unmatched_invoice');
    assert.deepEqual(unmatched.map((r) => [r.team, new Decimal(r.amount).toFixed(2)]), [['platform', batch.toFixed(2)]]);
    // (growth's records then weigh in the standard cells they were logged in: the policy chose not to follow the cause)
  });
});
