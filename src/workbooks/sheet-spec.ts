// What a sheet holds, apart from how it is written: domains describe sheets with these
// (pure data), and the workbook writer turns them into XLSX.

export type CellFormat = 'text' | 'integer' | 'decimal' | 'usd' | 'usd_precise' | 'usd_rate' | 'percent' | 'date' | 'datetime';

export interface ColumnSpec {
  header: string;
  key: string;
  format: CellFormat;
  width?: number;
  /** sum this column in a totals row */
  total?: boolean;
  /**
   * The row field that names this cell's format (a CellFormat), for key/value sheets whose rows
   * hold different kinds of figures in one column; `format` when the row names none.
   */
  formatFrom?: string;
  /** a check (and dropdown) on the column's data cells */
  validation?: ColumnValidation;
}

/** A column of an earlier sheet of the same workbook, by its key: its data cells. */
export interface ColumnRef {
  sheet: string;
  key: string;
}

/** Data validation of a column's data cells, as Excel and LibreOffice apply it to what is typed in. */
export type ColumnValidation = (
  | { type: 'list'; values: readonly string[] }
  | { type: 'list'; column: ColumnRef }
  | {
      type: 'decimal';
      min: string;
      /**
       * the upper bound: in the row of `lookup.column` whose cell equals this row's `byKey`
       * cell, the value of `lookup.value` (0 when there is none)
       */
      max: { byKey: string; lookup: { column: ColumnRef; value: ColumnRef } };
    }
) & { prompt?: string; error: string };

/** Values are text for money and counts (decimal strings), never JS-number arithmetic results. */
export type SheetRow = Record<string, string | number | boolean | null | undefined>;

export interface SheetSpec {
  name: string;
  /** lines shown above the header: what the sheet is, caps, where the rest is */
  notes?: string[];
  columns: ColumnSpec[];
  rows: SheetRow[] | AsyncIterable<SheetRow>;
  /** rows to highlight (e.g. variance cells over tolerance) */
  highlight?: (row: SheetRow) => boolean;
  /** label of the totals row (first text column); default 'Total' */
  totalLabel?: string;
  /** totals as live SUM formulas (with the exact total as their cached result), for sheets people fill in */
  liveTotals?: boolean;
  /** a sheet for programs, not people (e.g. what a filled-in workbook is read back by) */
  hidden?: boolean;
  /**
   * Most data rows on one sheet before the rest continues on '<name> (2)', '<name> (3)'...
   * Defaults to what fits under Excel's 1,048,576-row limit.
   */
  maxRows?: number;
  /**
   * Totals row values that are not a sum of the column (decimal strings by column key): e.g.
   * distinct cells, where a cell counted under two causes must count once.
   */
  totalOverrides?: Record<string, string>;
}

// Formats, as the writer reads values: 'usd' / 'usd_precise' / 'usd_rate' / 'decimal' / 'integer' take decimal
// strings; 'percent' takes a fraction as a decimal string ('0.025' shows as 2.50%); 'date' takes
// 'YYYY-MM-DD'; 'datetime' a Date or ISO string; 'text' anything, always written as text (never a formula).
