import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFxRatesCsv, sameRate } from '../../src/fx/rates-file.ts';

// The rates file as people write it: CRLF, quoted cells, a BOM, `month` or `date` columns, lower
// case codes. Each bad row is named by its line and reason; the good ones stand on their own.

describe('parseFxRatesCsv', () => {
  it('reads month and day rows, CRLF, a BOM and quoted cells with commas and line breaks', () => {
    const text = '\uFEFFDate,Currency,Rate,Source\r\n2026-05,eur,1.0850,"ECB, monthly"\r\n2026-05-16,GBP,1.27,"treasury\nmemo 12"\r\n2026-05-17,JPY,0.0064,bank\r\n';
    const parsed = parseFxRatesCsv(text, 'USD');
    assert.deepEqual(parsed.rejects, []);
    assert.deepEqual(parsed.rows.map((r) => [r.line, r.currency, r.reporting_currency, r.basis, r.effective_date, r.rate, r.source]), [
      [2, 'EUR', 'USD', 'month', '2026-05-01', '1.0850', 'ECB, monthly'],
      [3, 'GBP', 'USD', 'day', '2026-05-16', '1.27', 'treasury\nmemo 12'],
      // the line after a quoted line break is line 5
      [5, 'JPY', 'USD', 'day', '2026-05-17', '0.0064', 'bank'],
    ]);
  });

  it('rejects bad rows with their line and reason; a repeated row is read once, a contradicting one rejected', () => {
    const text = [
      'month,currency,rate,source,to_currency',
      '2026-02-30,EUR,1.08,ecb,',
      '2026-05,EURO,1.08,ecb,',
      '2026-05,EUR,1.08e0,ecb,',
      '2026-05,EUR,0,ecb,',
      '2026-05,EUR,1.08,,',
      '2026-05,USD,1,ecb,',
      '2026-05,EUR,1.0800,ecb,',
      '2026-05,EUR,1.08,ecb again,',
      '2026-05,EUR,1.09,ecb,',
      '2026-05,EUR,0.85,ecb,GBP',
      '2026-05,EUR,1.08',
    ].join('\n');
    const parsed = parseFxRatesCsv(text, 'USD');
    assert.equal(parsed.read, 11);
    assert.deepEqual(parsed.rows.map((r) => [r.line, r.currency, r.reporting_currency, r.rate]), [[8, 'EUR', 'USD', '1.0800'], [11, 'EUR', 'GBP', '0.85']]);
    assert.equal(parsed.repeated, 1);
    assert.deepEqual(parsed.rejects.map((r) => [r.line, r.field]), [
      [2, 'month'], [3, 'currency'], [4, 'rate'], [5, 'rate'], [6, 'source'], [7, 'currency'], [10, 'rate'], [12, '(row)'],
    ]);
    assert.match(parsed.rejects[6]!.reason, /line 8 already gives EUR on 2026-05 as 1.0800/);
  });

  it('refuses a file without the columns it needs, naming them', () => {
    assert.throws(() => parseFxRatesCsv('currency,rate\nEUR,1.08\n', 'USD'), /lacks column\(s\) date or month, source/);
  });

  it('1.0850 and 1.085 are the same rate', () => {
    assert.ok(sameRate('1.0850', '1.085'));
    assert.ok(sameRate('01.5', '1.50'));
    assert.ok(!sameRate('1.085', '1.0851'));
  });
});
