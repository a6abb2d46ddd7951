import { Decimal } from '../money.ts';
import type { CellFormat, ColumnSpec, SheetRow } from './sheet-spec.ts';

// Pure rules for turning sheet values into spreadsheet cells: number formats, widths, the one
// place a decimal string becomes a spreadsheet number, and text that must never act as a formula.

/** Excel's hard limits. */
export const EXCEL_MAX_ROWS = 1_048_576;
export const EXCEL_MAX_CELL_CHARS = 32_767;
export const EXCEL_MAX_SHEET_NAME = 31;

export const NUMBER_FORMATS: Record<CellFormat, string> = {
  text: '@',
  integer: '#,##0',
  decimal: '#,##0.########',
  // Negative amounts in red with a minus sign: finance reads credits at a glance.
  usd: '"$"#,##0.00;[Red]-"$"#,##0.00',
  // Per-token prices and unrounded priced cost need more than cents to be checkable.
  usd_precise: '"$"#,##0.000000;[Red]-"$"#,##0.000000',
  // Card prices per 1M tokens (or per request): cents always, up to six decimals when the card has them.
  usd_rate: '"$"#,##0.00####;[Red]-"$"#,##0.00####',
  percent: '0.00%',
  date: 'yyyy-mm-dd',
  datetime: 'yyyy-mm-dd hh:mm:ss',
};

const DEFAULT_WIDTHS: Record<CellFormat, number> = {
  text: 18,
  // streamed sheets cannot be measured before they are written: room for billions of tokens,
  // millions of dollars and six-decimal amounts in the thousands
  integer: 15,
  decimal: 16,
  usd: 15,
  usd_precise: 17,
  usd_rate: 14,
  percent: 10,
  date: 12,
  datetime: 20,
};

/** A width that fits the header and the format's typical values, within a readable range. */
export function columnWidth(column: ColumnSpec): number {
  if (column.width !== undefined) return column.width;
  return Math.min(60, Math.max(DEFAULT_WIDTHS[column.format], column.header.length + 2));
}

const grouped = (digits: string): string => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/**
 * How many characters a number takes as its format shows it ("-$1,234.56" is 10), so a column
 * can be made wide enough that no spreadsheet shows `###` in its place. Text and unparseable
 * values count 0: text never turns into `###`, it runs over or is cut.
 */
export function displayLength(value: SheetRow[string], format: CellFormat): number {
  if (value === null || value === undefined || value === '' || typeof value === 'boolean') return 0;
  if (format === 'text') return 0;
  if (format === 'date') return 10;
  if (format === 'datetime') return 19;
  const text = typeof value === 'number' ? String(value) : value.trim();
  if (!DECIMAL_TEXT.test(text)) return 0;
  const d = new Decimal(text);
  const shown = (places: number, minPlaces = places) => {
    const fixed = d.abs().toDecimalPlaces(places, Decimal.ROUND_HALF_UP).toFixed();
    const [whole, frac = ''] = fixed.split('.');
    const decimals = Math.max(minPlaces, frac.replace(/0+$/, '').length);
    return (d.isNegative() ? 1 : 0) + grouped(whole!).length + (decimals > 0 ? decimals + 1 : 0);
  };
  switch (format) {
    case 'integer': return shown(0);
    case 'decimal': return shown(8, 0);
    case 'usd': return shown(2) + 1;
    case 'usd_precise': return shown(6) + 1;
    case 'usd_rate': return shown(6, 2) + 1;
    case 'percent': return (d.isNegative() ? 1 : 0) + grouped(d.abs().times(100).toFixed(0)).length + 4;
  }
}

/** The width a column needs for its header and for every value shown in it (totals included). */
export function fittedWidth(column: ColumnSpec, values: Iterable<SheetRow[string]>, formatOf: (value: SheetRow[string], index: number) => CellFormat = () => column.format): number {
  let widest = 0;
  let i = 0;
  for (const value of values) widest = Math.max(widest, displayLength(value, formatOf(value, i++)));
  // two characters of padding; bold totals and the filter button take about that
  return Math.min(60, Math.max(columnWidth(column), widest + 3));
}

// Characters XML 1.0 cannot carry at all; left in, they make the file unreadable.
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/**
 * Text as stored in a cell: invalid XML characters removed, cut to Excel's cell limit.
 * Leading = + - @ tab or CR are kept as they are: the writer stores every text value as a plain
 * string (never a formula) with the Text number format, so it shows and reads back unchanged.
 */
export function cellText(value: string): string {
  // XML readers turn a bare CR into LF anyway; doing it here keeps what we hash equal to what is read.
  const clean = value.replace(XML_INVALID, '').replace(/\r\n?/g, '\n');
  return clean.length > EXCEL_MAX_CELL_CHARS ? clean.slice(0, EXCEL_MAX_CELL_CHARS - 1) + '…' : clean;
}

/** True when a spreadsheet would run the text as a formula if it were typed in. */
export function looksLikeFormula(value: string): boolean {
  return /^[=+\-@\t\r]/.test(value);
}

const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;
const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;

export type CellValue = string | number | boolean | Date | null;

/**
 * The value one cell gets. Numbers arrive as decimal strings and become spreadsheet numbers only
 * here, at the edge (a cell can hold nothing else); anything that does not parse is shown as text.
 */
export function toCellValue(value: SheetRow[string], format: CellFormat): CellValue {
  if (value === null || value === undefined || value === '') return null;
  if (format === 'text') return cellText(typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value));
  if (format === 'date') {
    const text = String(value);
    const match = DATE_TEXT.exec(text.slice(0, 10));
    if (!match) return cellText(text);
    return new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  }
  if (format === 'datetime') {
    const date = (value as unknown) instanceof Date ? (value as unknown as Date) : new Date(String(value));
    return Number.isNaN(date.getTime()) ? cellText(String(value)) : date;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  const text = value.trim();
  if (!DECIMAL_TEXT.test(text)) return cellText(value);
  const decimal = new Decimal(text);
  // A spreadsheet number is a double: beyond 2^53 hundredths (about $90 trillion) it cannot hold
  // every cent, so such an amount is written as its exact decimal text instead of a wrong number.
  if (decimal.abs().greaterThan(LARGEST_EXACT_CENTS)) return cellText(decimal.toFixed());
  return decimal.toNumber();
}

/** The largest amount whose every cent a double holds exactly: (2^53 − 1) / 100. */
export const LARGEST_EXACT_CENTS = new Decimal(Number.MAX_SAFE_INTEGER).dividedBy(100);

/** Adds one value to a running column total, exactly (decimal strings, not floats). */
export function addToTotal(total: Decimal, value: SheetRow[string]): Decimal {
  if (value === null || value === undefined || value === '' || typeof value === 'boolean') return total;
  const text = typeof value === 'number' ? String(value) : value.trim();
  return DECIMAL_TEXT.test(text) ? total.plus(new Decimal(text)) : total;
}

/** A sheet name Excel accepts: no []:*?/\, at most 31 characters, unique in the workbook. */
export function safeSheetName(wanted: string, taken: ReadonlySet<string>): string {
  const base = wanted.replace(/[[\]:*?/\\]/g, ' ').replace(/^'+|'+$/g, '').trim() || 'Sheet';
  const fits = (name: string) => !taken.has(name.toLowerCase());
  const first = base.slice(0, EXCEL_MAX_SHEET_NAME);
  if (fits(first)) return first;
  for (let n = 2; ; n++) {
    const suffix = ` (${n})`;
    const name = base.slice(0, EXCEL_MAX_SHEET_NAME - suffix.length) + suffix;
    if (fits(name)) return name;
  }
}

/** Data rows one sheet can hold under Excel's limit, given the rows above and below the data. */
export function rowsPerSheet(cap: number | undefined, rowsAbove: number, rowsBelow: number): number {
  const limit = EXCEL_MAX_ROWS - rowsAbove - rowsBelow;
  return Math.max(1, Math.min(cap ?? limit, limit));
}
