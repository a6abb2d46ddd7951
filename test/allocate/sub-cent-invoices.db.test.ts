import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { sql } from 'kysely';
import { parsePeriod } from '../../src/period.ts';
import { parseSettings } from '../../src/settings.ts';
import { defaultPolicy } from '../../src/allocate/policy.ts';
import { createLogger } from '../../src/log.ts';
import { ingestFile } from '../../src/ingest/loader.ts';
import { importRateCard } from '../../src/pricing/import-card.ts';
import { runPeriod } from '../../src/run/run-period.ts';
import { describeEachBackend } from '../support/db.ts';
import { invoiceTargets } from '../../src/allocate/allocate.ts';
import { money } from '../../src/money.ts';

// Issue #16.5: invoices of 10.005 and 20.005 gave invoice_total 30.01 but allocated_total 30.02
// (unallocated −0.01). The rule (README, "Rounding"): the period's exact invoice total is rounded
// once, half-up, to the cent (30.01); the invoices share those cents by largest remainder of their
// exact amounts (ties by provider and invoice id: INV-A 10.01, INV-B 20.00); each invoice's cents
// are split over its allocation rows the same way. Totals, invoices and rows tie to the cent.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-subcent-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
};

const CARD = write(
  'card.csv',
  'provider,model,service_tier,token_category,unit_price,effective_from,effective_to,card_version,source\nopenai,gpt-4o-2024-08-06,standard,input,2.50,2026-01-01T00:00:00Z,,subcent-card,test\nopenai,gpt-4o-2024-08-06,standard,output,10,2026-01-01T00:00:00Z,,subcent-card,test\n',
);
// support: 1M input tokens on 2026-05-04 (= $2.50 priced); sales: 1M on 2026-05-05
const LEDGER = write(
  'ledger.csv',
  'request_id,timestamp,provider,response_model,input_tokens,output_tokens,team\nsc-1,2026-05-04T10:00:00Z,openai,gpt-4o-2024-08-06,1000000,0,support\nsc-2,2026-05-05T10:00:00Z,openai,gpt-4o-2024-08-06,1000000,0,sales\n',
);
// Two invoices of sub-cent totals, as a cost export at four decimals shows them: 10.005 and 20.005.
const INVOICE = write(
  'invoice.csv',
  'provider,invoice_id,charge_date,model,token_category,service_tier,quantity,amount,currency,line_type\n' +
    'openai,INV-A,2026-05-04,gpt-4o-2024-08-06,input,standard,1000000,10.005,USD,usage\n' +
    'openai,INV-B,2026-05-05,gpt-4o-2024-08-06,input,standard,1000000,20.005,USD,usage\n',
);

describeEachBackend('allocation ties when invoice totals have sub-cents (#16.5)', (store) => {
  test('invoices of 10.005 and 20.005: invoice_total 30.01 = allocated_total, unallocated 0.00, every invoice and team in whole cents', async () => {
    await importRateCard(store().db, { path: CARD, bytes: fs.readFileSync(CARD), format: 'csv' });
    await ingestFile(store(), { kind: 'ledger', path: LEDGER });
    await ingestFile(store(), { kind: 'invoice', path: INVOICE });
    const outcome = await runPeriod(store(), { period: parsePeriod('2026-05'), trigger: 'manual', settings: parseSettings({}), policy: defaultPolicy, log: createLogger({ logFormat: 'json', logLevel: 'error' }) });
    // 10.005 + 20.005 = 30.010 exactly
    assert.equal(outcome.invoice_total, '30.01');
    assert.equal(outcome.allocated_total, '30.01');
    assert.equal(outcome.unallocated, '0.00');
    // per invoice: 1000.5 and 2000.5 cents floor to 1000 and 2000; the one cent left goes to the
    // first by invoice id (equal remainders)
    const { rows } = await sql<{ invoice_id: string; amount: string }>`
      select invoice_id, sum(amount)::text as amount from run_allocation where run_id = ${outcome.run_id}::bigint group by invoice_id order by invoice_id`.execute(store().db);
    assert.deepEqual(rows, [
      { invoice_id: 'INV-A', amount: '10.01' },
      { invoice_id: 'INV-B', amount: '20.00' },
    ]);
    // each team carries its own invoice (one cell each): support INV-A, sales INV-B
    assert.deepEqual(outcome.allocations, [
      { team: 'sales', amount: '20.00' },
      { team: 'support', amount: '10.01' },
    ]);
  });
});

test('invoice cents with a credit note: one rounding of the total, shared by largest remainder', () => {
  // exact total 10.005 + 20.005 - 0.333 = 29.677 -> 29.68 (2968 cents); floors 1000 + 2000 - 34 = 2966;
  // the two cents left go to the largest remainders: the credit note (0.7 of a cent), then INV-A
  // (0.5, ahead of INV-B by id)
  const targets = invoiceTargets([
    { provider: 'openai', invoiceId: 'INV-A', amount: money('10.005') },
    { provider: 'openai', invoiceId: 'INV-B', amount: money('20.005') },
    { provider: 'openai', invoiceId: 'CN-1', amount: money('-0.333') },
  ]);
  assert.deepEqual([...targets.values()].map((v) => v.toFixed(2)), ['10.01', '20.00', '-0.33']);
});
