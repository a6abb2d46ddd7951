// What a sheet holds, apart from how it is written: domains describe sheets with these
// (pure data), and the workbook writer turns them into XLSX.

export type CellFormat = 'text' | 'integer' | 'decimal' | 'usd' | 'usd_precise' | 'percent' | 'date' | 'datetime';

export interface ColumnSpec {
  header: string;
  key: string;
  format: CellFormat;
  width?: number;
  /** sum this column in a totals row */
  total?: boolean;
}

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
}
