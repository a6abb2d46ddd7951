import { parse } from 'csv-parse/sync';
import { CSV_LINE_ENDINGS, recordStartLine } from '../ingest/csv-records.ts';

// Reading an exchange-rate file: a pure function from text to rate rows plus rejected rows.
// Columns (header names trimmed, any case): `date` (YYYY-MM-DD: a day rate) or `month` (YYYY-MM:
// a month rate; a `date` cell may hold YYYY-MM too), `currency` (ISO 4217, the billed one), `rate`
// (what one unit of it is worth in the reporting currency), `source`; optional `to_currency`
// (defaults to the reporting currency of the settings). A bad row is rejected with its line and
// reason; the others are imported (unlike a rate card, one row stands on its own).

export interface FxRateRow {
  line: number;
  currency: string;
  reporting_currency: string;
  basis: 'day' | 'month';
  /** YYYY-MM-DD; the first day of the month for a month rate */
  effective_date: string;
  /** decimal text, > 0 */
  rate: string;
  source: string;
}

export interface FxReject {
  line: number;
  field: string;
  value: string;
  reason: string;
  raw: string;
}

export interface ParsedFxFile {
  /** data records read (the header not counted) */
  read: number;
  rows: FxRateRow[];
  rejects: FxReject[];
  /** rows repeating an earlier row of the file exactly (same rate): read once */
  repeated: number;
}

const CURRENCY = /^[A-Z]{3}$/;
const RATE = /^\d+(\.\d+)?$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH = /^(\d{4})-(\d{2})$/;

function realDay(text: string): boolean {
  const m = DAY.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === text;
}

/** The columns the file lacks, by what they mean. */
function missingColumns(header: readonly string[]): string[] {
  const missing: string[] = [];
  if (!header.includes('date') && !header.includes('month')) missing.push('date or month');
  for (const name of ['currency', 'rate', 'source']) if (!header.includes(name)) missing.push(name);
  return missing;
}

export function parseFxRatesCsv(text: string, reportingCurrency: string): ParsedFxFile {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { ...CSV_LINE_ENDINGS, bom: true, info: true, relax_column_count: true, skip_empty_lines: true }) as unknown as typeof records;
  } catch (error) {
    throw new Error(`not a readable CSV: ${(error as Error).message}`, { cause: error });
  }
  const [first, ...rest] = records;
  if (!first) throw new Error('the file is empty: expected a header row date|month,currency,rate,source');
  const header = first.record.map((h) => h.trim().toLowerCase());
  const missing = missingColumns(header);
  if (missing.length > 0) throw new Error(`the header lacks column(s) ${missing.join(', ')} (got ${header.join(',')})`);
  const at = (fields: string[], name: string) => {
    const i = header.indexOf(name);
    return i < 0 ? '' : (fields[i] ?? '').trim();
  };
  const rows: FxRateRow[] = [];
  const rejects: FxReject[] = [];
  const seen = new Map<string, FxRateRow>();
  let repeated = 0;
  for (const { record, info } of rest) {
    const line = recordStartLine(info.lines, record);
    const raw = record.join(',');
    const reject = (field: string, value: string, reason: string) => rejects.push({ line, field, value, reason, raw });
    if (record.length !== header.length) {
      reject('(row)', '', `expected ${header.length} fields, found ${record.length}`);
      continue;
    }
    const dateText = at(record, 'date') || at(record, 'month');
    let basis: FxRateRow['basis'];
    let effective: string;
    if (realDay(dateText)) {
      basis = 'day';
      effective = dateText;
    } else if (MONTH.test(dateText) && Number(dateText.slice(5)) >= 1 && Number(dateText.slice(5)) <= 12) {
      basis = 'month';
      effective = `${dateText}-01`;
    } else {
      reject(header.includes('date') ? 'date' : 'month', dateText, 'must be a day YYYY-MM-DD or a month YYYY-MM');
      continue;
    }
    const currency = at(record, 'currency').toUpperCase();
    if (!CURRENCY.test(currency)) {
      reject('currency', currency, 'must be a three-letter ISO 4217 code such as EUR');
      continue;
    }
    const to = (at(record, 'to_currency') || reportingCurrency).toUpperCase();
    if (!CURRENCY.test(to)) {
      reject('to_currency', to, 'must be a three-letter ISO 4217 code such as USD');
      continue;
    }
    if (to === currency) {
      reject('currency', currency, `a rate from ${currency} to itself is always 1; leave it out`);
      continue;
    }
    const rate = at(record, 'rate');
    if (!RATE.test(rate) || /^0+(\.0+)?$/.test(rate)) {
      reject('rate', rate, `must be a positive decimal number (what 1 ${currency} is worth in ${to}), no exponent or thousands separator`);
      continue;
    }
    const source = at(record, 'source');
    if (source === '') {
      reject('source', '', 'is empty: name where the rate comes from (e.g. "ECB reference rate")');
      continue;
    }
    const row: FxRateRow = { line, currency, reporting_currency: to, basis, effective_date: effective, rate, source };
    const key = `${to}|${currency}|${basis}|${effective}`;
    const earlier = seen.get(key);
    if (earlier) {
      if (!sameRate(earlier.rate, rate)) reject('rate', rate, `line ${earlier.line} already gives ${currency} on ${dateText} as ${earlier.rate}`);
      else repeated += 1;
      continue;
    }
    seen.set(key, row);
    rows.push(row);
  }
  return { read: rest.length, rows, rejects, repeated };
}

/** 1.0850 and 1.085 are the same rate. */
export function sameRate(a: string, b: string): boolean {
  const norm = (t: string) => {
    const [i = '', f = ''] = t.split('.');
    return `${i.replace(/^0+(?=\d)/, '')}.${f.replace(/0+$/, '')}`;
  };
  return norm(a) === norm(b);
}
