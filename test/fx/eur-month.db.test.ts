import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import ExcelJS from 'exceljs';
import { cliTarget, runCli, runCliJson, type CliTarget } from '../e2e/cli-harness.ts';
import { testBackends } from '../support/db.ts';

// An Azure OpenAI month billed in EUR, reconciled in USD (issue 17 item 5). The invoice is Azure's
// "Cost and usage details" CSV (EA layout, columns as Microsoft documents them, CRLF line ends),
// BillingCurrency EUR, priced at EUR 2.30 / 9.20 per 1M input / output tokens of gpt-4o. The
// ledger is priced in USD at 2.50 / 10.00. The rates: EUR 1.0850 for May 2026 and a day rate of
// 1.0900 from 2026-05-16 (a mid-month change). Every figure below is worked out by hand:
//
//   day    line    tokens     EUR    rate     USD       research (cost)  search (cost)
//   05-05  input   600,000    1.38   1.0850   1.4973    1.00             0.50
//   05-05  output   50,000    0.46   1.0850   0.4991    0.20             0.30
//   05-20  input 1,500,000    3.45   1.0900   3.7605    2.50             1.25
//   05-20  output  150,000    1.38   1.0900   1.5042    1.00             0.50
//   total                     6.67            7.2611    4.70             2.55   ledger 7.25
//
// Each cell's USD goes to the teams in proportion to their priced cost:
//   research 1.4973·2/3 + 0.4991·2/5 + 3.7605·2/3 + 1.5042·2/3 = 0.9982 + 0.19964 + 2.507 + 1.0028 = 4.70764
//   search   1.4973·1/3 + 0.4991·3/5 + 3.7605·1/3 + 1.5042·1/3 = 0.4991 + 0.29946 + 1.2535 + 0.5014 = 2.55346
// The invoice total 7.2611 rounds to 7.26; 4.70 + 2.55 = 7.25 and the cent left goes to the
// larger remainder (research, 0.764 of a cent): research 4.71, search 2.55. Variance 7.2611 − 7.25.

const PERIOD = '2026-05';
const AZURE_HEADER = 'Date,ChargeType,MeterCategory,MeterSubCategory,MeterName,MeterRegion,UnitOfMeasure,Quantity,EffectivePrice,CostInBillingCurrency,BillingCurrency,SubscriptionId,SubscriptionName,ResourceGroup,ResourceLocation,ConsumedService,ProductName,Tags,BillingPeriodStartDate,BillingPeriodEndDate,PublisherType';
const azureRow = (day: string, meter: string, thousands: string, price: string, cost: string) =>
  `${day},Usage,Cognitive Services,Azure OpenAI,${meter},Global,1K,${thousands},${price},${cost},EUR,sub-eu-1,Prod EU,rg-ai,swedencentral,Microsoft.CognitiveServices,Azure OpenAI - ${meter},"{""env"": ""prod""}",05/01/2026,05/31/2026,Azure`;
const INVOICE = [
  AZURE_HEADER,
  azureRow('05/05/2026', 'gpt 4o 0806 Inp glbl Tokens', '600', '0.0023', '1.38'),
  azureRow('05/05/2026', 'gpt 4o 0806 Outp glbl Tokens', '50', '0.0092', '0.46'),
  azureRow('05/20/2026', 'gpt 4o 0806 Inp glbl Tokens', '1500', '0.0023', '3.45'),
  azureRow('05/20/2026', 'gpt 4o 0806 Outp glbl Tokens', '150', '0.0092', '1.38'),
].join('\r\n') + '\r\n';

const CARD = [
  'provider,model,service_tier,token_category,unit_price,effective_from,effective_to,card_version,source',
  'azure.ai.openai,gpt-4o-2024-08-06,standard,input,2.50,2026-01-01T00:00:00Z,,azure-usd,test',
  'azure.ai.openai,gpt-4o-2024-08-06,standard,output,10.00,2026-01-01T00:00:00Z,,azure-usd,test',
].join('\n') + '\n';

const LEDGER = [
  'request_id,timestamp,provider,response_model,input_tokens,output_tokens,team,service',
  'r-1,2026-05-05T09:00:00Z,azure.ai.openai,gpt-4o-2024-08-06,400000,20000,research,eval',
  's-1,2026-05-05T10:00:00Z,azure.ai.openai,gpt-4o-2024-08-06,200000,30000,search,ranker',
  'r-2,2026-05-20T09:00:00Z,azure.ai.openai,gpt-4o-2024-08-06,1000000,100000,research,eval',
  's-2,2026-05-20T10:00:00Z,azure.ai.openai,gpt-4o-2024-08-06,500000,50000,search,ranker',
].join('\n') + '\n';

// CRLF, a quoted source with a comma, a month row and a day row; two bad rows (line 5, line 6)
const RATES = [
  'date,currency,rate,source',
  '2026-05,EUR,1.0850,"ECB reference rate, monthly average"',
  '2026-05-16,eur,1.0900,ECB reference rate',
  '2026-05,GBP,1.2710,ECB reference rate',
  '2026-05-02,EUR,1,2,bad',
  '2026-13,JPY,0.0064,ECB reference rate',
].join('\r\n') + '\r\n';

interface Run {
  run_id: string;
  invoice_total: string;
  ledger_total: string;
  variance: string;
  allocated_total: string;
  unallocated: string;
  allocations: { team: string; amount: string }[];
}

interface FxImport {
  rows_read: number;
  rows_stored: number;
  rows_unchanged: number;
  rows_rejected: number;
  rejects: { line: number; field: string; reason: string }[];
}

for (const backend of testBackends()) {
  describe(`an Azure month billed in EUR reconciles in USD [${backend}]`, () => {
    let target: CliTarget;
    const file = (name: string, text: string) => {
      const p = path.join(target.dir, name);
      fs.writeFileSync(p, text);
      return p;
    };
    before(async () => {
      target = await cliTarget(backend);
      await runCliJson(target, ['ratecard', 'import', file('card.csv', CARD)]);
      await runCliJson(target, ['ingest', 'ledger', file('ledger.csv', LEDGER)]);
      await runCliJson(target, ['ingest', 'invoice', file('azure-eur.csv', INVOICE)]);
    });
    after(async () => target.cleanup());

    test('without a EUR rate the run fails, naming EUR and the month and what to do; nothing is taken at 1:1', async () => {
      const result = await runCli(target, ['run', '--period', PERIOD]);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /no exchange rate to USD for EUR for 2026-05 \(4 invoice line\(s\) from 2026-05-05 to 2026-05-20, 6\.67 EUR\)/);
      assert.match(result.stderr, /next: recon fx import rates\.csv with a EUR rate to USD for 2026-05/);
      const runs = await runCliJson<{ status: string }[]>(target, ['runs', '--period', PERIOD]);
      assert.deepEqual(runs.map((r) => r.status), ['failed']);
    });

    test('recon fx import stores the good rows, rejects the bad ones with line and reason; the same file twice changes nothing', async () => {
      const rates = file('rates.csv', RATES);
      const first = await runCliJson<FxImport>(target, ['fx', 'import', rates]);
      assert.deepEqual([first.rows_read, first.rows_stored, first.rows_unchanged, first.rows_rejected], [5, 3, 0, 2]);
      assert.deepEqual(first.rejects.map((r) => [r.line, r.field]), [[5, '(row)'], [6, 'date']]);
      const listed = await runCliJson<{ id: string; currency: string; basis: string; effective_date: string; rate: string; source: string }[]>(target, ['fx', 'list']);
      const again = await runCliJson<FxImport>(target, ['fx', 'import', rates]);
      assert.deepEqual([again.rows_read, again.rows_stored, again.rows_unchanged, again.rows_rejected], [5, 0, 3, 2]);
      assert.deepEqual(await runCliJson(target, ['fx', 'list']), listed);
      assert.deepEqual(listed.map((r) => [r.currency, r.basis, r.effective_date, r.rate, r.source]), [
        ['EUR', 'month', '2026-05-01', '1.0850', 'ECB reference rate, monthly average'],
        ['EUR', 'day', '2026-05-16', '1.0900', 'ECB reference rate'],
        ['GBP', 'month', '2026-05-01', '1.2710', 'ECB reference rate'],
      ]);
      // a different rate for a stored day is refused, never replaces it
      const changed = await runCliJson<FxImport>(target, ['fx', 'import', file('rates-changed.csv', 'date,currency,rate,source\n2026-05-16,EUR,1.2000,typo\n')]);
      assert.equal(changed.rows_rejected, 1);
      assert.match(changed.rejects[0]!.reason, /EUR on 2026-05-16 is already 1\.0900/);
    });

    test('with the rates the month reconciles in USD: invoice total, variance and each team to the cent', async () => {
      const run = await runCliJson<Run>(target, ['run', '--period', PERIOD]);
      assert.equal(run.invoice_total, '7.26');
      assert.equal(run.ledger_total, '7.25');
      assert.equal(run.variance, '0.01');
      assert.deepEqual(run.allocations, [{ team: 'research', amount: '4.71' }, { team: 'search', amount: '2.55' }]);
      assert.equal(run.allocated_total, '7.26');
      assert.equal(run.unallocated, '0.00');

      const out = path.join(target.dir, 'out');
      const written = await runCliJson<{ files: { kind: string; path: string }[] }>(target, ['workbook', '--period', PERIOD, '--out', out]);
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.readFile(written.files.find((f) => f.kind === 'allocation')!.path);
      const notes: string[] = [];
      workbook.getWorksheet('Summary')!.eachRow((row) => notes.push(String(row.getCell(1).value ?? '')));
      assert.ok(notes.includes('Amounts are in USD: invoice lines billed in EUR are converted at the exchange rate of their charge date (sheet Invoice lines).'), notes.join('\n'));
      const sheet = workbook.getWorksheet('Invoice lines');
      assert.ok(sheet, 'the allocation workbook has an Invoice lines sheet');
      const rows: string[][] = [];
      sheet.eachRow((row) => rows.push((row.values as unknown[]).slice(1).map((v) => (v === null || v === undefined ? '' : String(v)))));
      const header = rows.findIndex((r) => r[0] === 'Invoice line');
      assert.deepEqual(rows[header], ['Invoice line', 'Charge date', 'Provider', 'Invoice', 'Line type', 'Model', 'Token category', 'Meter / SKU', 'Amount (USD)', 'Billed amount', 'Billed currency', 'Rate', 'Rate date', 'Rate source', 'Rate id']);
      const body = rows.slice(header + 1, header + 5).map((r) => [r[8], r[9], r[10], r[11], r[13]]);
      assert.deepEqual(body, [
        ['1.4973', '1.38', 'EUR', '1.085', 'ECB reference rate, monthly average'],
        ['0.4991', '0.46', 'EUR', '1.085', 'ECB reference rate, monthly average'],
        ['3.7605', '3.45', 'EUR', '1.09', 'ECB reference rate'],
        ['1.5042', '1.38', 'EUR', '1.09', 'ECB reference rate'],
      ]);
    });
  });
}
