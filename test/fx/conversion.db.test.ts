import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { sql } from 'kysely';
import { UserError } from '../../src/command-context.ts';
import { importFxRates } from '../../src/fx/import-rates.ts';
import { invoiceLinesInReporting, selectMissingRates } from '../../src/fx/queries.ts';
import { fxRunInputs } from '../../src/fx/run-rates.ts';
import { createLogger } from '../../src/log.ts';
import { ingestInbox } from '../../jobs/inbox.ts';
import { ingestWithSettings } from '../../jobs/ingest-adapter.ts';
import { ingestFile } from '../../src/ingest/loader.ts';
import { parsePeriod } from '../../src/period.ts';
import { insertInvoiceLines, invoiceLine } from '../support/builders.ts';
import { describeEachBackend } from '../support/db.ts';

// Which rate converts a line, by the calendar: a month rate covers its month only (an April rate
// never converts May), a day rate holds from its day to the next day rate of the same month, the
// days of a month before its first day rate take the month rate, and Google's own
// currency_conversion_rate (units per USD) is used only where the table has nothing for the day.
// Every reporting amount below is the billed amount times (or, for Google's rate, divided by)
// the rate, worked out by hand.

const RATES = [
  'month,currency,rate,source',
  '2026-04,EUR,1.0700,April rate',
  '2026-05,EUR,1.0850,May rate',
].join('\n') + '\n';
const DAY_RATES = 'date,currency,rate,source\n2026-05-16,EUR,1.0900,ECB 16 May\n2026-05-20,EUR,1.1000,ECB 20 May\n';

describeEachBackend('an invoice line in the reporting currency', (store) => {
  test('setup: rates for April and May, day rates from the 16th, lines across the month', async () => {
    const first = await importFxRates(store().db, { path: 'rates.csv', text: RATES, reportingCurrency: 'USD' });
    const days = await importFxRates(store().db, { path: 'day-rates.csv', text: DAY_RATES, reportingCurrency: 'USD' });
    assert.deepEqual([first.rows_stored, days.rows_stored], [2, 2]);
    await insertInvoiceLines(store(), [
      invoiceLine({ charge_date: '2026-05-01', amount: '10.00', currency: 'EUR' }),
      invoiceLine({ charge_date: '2026-05-15', amount: '10.00', currency: 'EUR' }),
      invoiceLine({ charge_date: '2026-05-16', amount: '10.00', currency: 'EUR' }),
      invoiceLine({ charge_date: '2026-05-19', amount: '-2.50', currency: 'EUR', line_type: 'credit', model: null, token_category: null }),
      invoiceLine({ charge_date: '2026-05-31', amount: '10.00', currency: 'EUR', usd_conversion_rate: '0.5' }),
      invoiceLine({ provider: 'gcp.vertex_ai', charge_date: '2026-05-04', amount: '1600', currency: 'JPY', usd_conversion_rate: '160' }),
      invoiceLine({ charge_date: '2026-05-10', amount: '2.50' }),
    ]);
  });

  test('each line: billed amount kept, reporting amount and the rate used', async () => {
    const { rows } = await sql<Record<string, string | null>>`
      select charge_date::text as day, amount::text as billed, currency, reporting_amount::text as reporting, fx_rate::text as rate, fx_rate_date, fx_rate_source
      from ${invoiceLinesInReporting(sql`'USD'`)} i order by id`.execute(store().db);
    assert.deepEqual(rows.map((r) => [r.day, r.billed, r.currency, r.reporting, r.rate, r.fx_rate_date, r.fx_rate_source]), [
      ['2026-05-01', '10.00', 'EUR', '10.850000', '1.0850', '2026-05-01', 'May rate'],
      ['2026-05-15', '10.00', 'EUR', '10.850000', '1.0850', '2026-05-01', 'May rate'],
      ['2026-05-16', '10.00', 'EUR', '10.900000', '1.0900', '2026-05-16', 'ECB 16 May'],
      ['2026-05-19', '-2.50', 'EUR', '-2.725000', '1.0900', '2026-05-16', 'ECB 16 May'],
      // the table's rate wins over the line's own
      ['2026-05-31', '10.00', 'EUR', '11.000000', '1.1000', '2026-05-20', 'ECB 20 May'],
      // 1600 JPY / 160 JPY per USD, no table rate for JPY
      ['2026-05-04', '1600', 'JPY', '10.000000000000', '0.006250000000', '2026-05-04', 'provider currency_conversion_rate'],
      ['2026-05-10', '2.50', 'USD', '2.50', null, null, null],
    ]);
  });

  test('a month without a rate: the run refuses it, naming the currency and the month; an April rate does not reach May', async () => {
    assert.deepEqual(await selectMissingRates(store().db, parsePeriod('2026-05'), 'USD'), []);
    await insertInvoiceLines(store(), [
      invoiceLine({ charge_date: '2026-05-12', amount: '4.00', currency: 'GBP' }),
      invoiceLine({ charge_date: '2026-05-14', amount: '1.25', currency: 'GBP' }),
      invoiceLine({ charge_date: '2026-06-02', amount: '10.00', currency: 'EUR' }),
    ], 'late');
    assert.deepEqual(await selectMissingRates(store().db, parsePeriod('2026-05'), 'USD'), [
      { currency: 'GBP', month: '2026-05', first_day: '2026-05-12', last_day: '2026-05-14', lines: '2', billed_amount: '5.25' },
    ]);
    assert.deepEqual((await selectMissingRates(store().db, parsePeriod('2026-06'), 'USD')).map((m) => [m.currency, m.month]), [['EUR', '2026-06']]);
    await assert.rejects(fxRunInputs(store().db, parsePeriod('2026-06'), 'USD'), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.match(error.message, /no exchange rate to USD for EUR for 2026-06/);
      assert.match(error.hint ?? '', /recon fx import rates\.csv with a EUR rate to USD for 2026-06/);
      return true;
    });
  });

  test('a run of an April with only USD lines records nothing about currencies', async () => {
    assert.deepEqual(await fxRunInputs(store().db, parsePeriod('2026-04'), 'USD'), {});
  });
});

describeEachBackend('a Google Cloud billing export in EUR without a table rate', (store) => {
  test('each line keeps its EUR amount and converts at its own currency_conversion_rate (0.92 EUR per USD), named as such', async () => {
    const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/providers/gcp-billing-export-2026-05.csv');
    await ingestFile(store(), { kind: 'invoice', path: file });
    const { rows } = await sql<Record<string, string | null>>`
      select amount::text as billed, currency, usd_conversion_rate::text as own, reporting_amount::text as reporting, fx_rate_source
      from ${invoiceLinesInReporting(sql`'USD'`)} i order by id`.execute(store().db);
    // 2.5 / 0.92, −0.5 / 0.92, 10 / 0.92, 0.0375 / 0.92, each to 12 decimal places (half up)
    assert.deepEqual(rows.map((r) => [r.billed, r.currency, r.own, r.reporting, r.fx_rate_source]), [
      ['2.5', 'EUR', '0.92', '2.717391304348', 'provider currency_conversion_rate'],
      ['-0.5', 'EUR', '0.92', '-0.543478260870', 'provider currency_conversion_rate'],
      ['10', 'EUR', '0.92', '10.869565217391', 'provider currency_conversion_rate'],
      ['0.0375', 'EUR', '0.92', '0.040760869565', 'provider currency_conversion_rate'],
    ]);
    assert.deepEqual(await selectMissingRates(store().db, parsePeriod('2026-05'), 'USD'), []);
  });
});

describeEachBackend('the nightly inbox takes rates files from fx/', (store) => {
  test('a rates file is imported and moved to done/; the same rows again count as a duplicate; a file without the columns goes to failed/ with why', async () => {
    const inbox = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-fx-inbox-'));
    try {
      fs.mkdirSync(path.join(inbox, 'fx'), { recursive: true });
      fs.writeFileSync(path.join(inbox, 'fx', 'a-may.csv'), 'month,currency,rate,source\r\n2026-05,EUR,1.0850,ECB\r\n');
      fs.writeFileSync(path.join(inbox, 'fx', 'b-may-again.csv'), 'month,currency,rate,source\n2026-05,EUR,1.085,ECB\n');
      fs.writeFileSync(path.join(inbox, 'fx', 'c-bad.csv'), 'currency,rate\nEUR,1.08\n');
      const log = createLogger({ logFormat: 'json', logLevel: 'error' });
      const counts = await ingestInbox(store(), inbox, ingestWithSettings({ ingest: { monthWindow: 1 }, fx: { reportingCurrency: 'USD' } }), log);
      assert.deepEqual([counts.files_seen, counts.files_loaded, counts.files_duplicate, counts.files_failed], [3, 1, 1, 1]);
      assert.ok(fs.existsSync(path.join(inbox, 'fx', 'done', 'a-may.csv')));
      assert.match(fs.readFileSync(path.join(inbox, 'fx', 'failed', 'c-bad.csv.reason.txt'), 'utf8'), /lacks column\(s\) date or month, source/);
      const { rows } = await sql<{ n: string }>`select count(*)::text as n from fx_rate`.execute(store().db);
      assert.equal(rows[0]!.n, '1');
    } finally {
      fs.rmSync(inbox, { recursive: true, force: true });
    }
  });
});
