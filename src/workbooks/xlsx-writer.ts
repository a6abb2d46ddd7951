import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { Decimal } from '../money.ts';
import { addToTotal, columnWidth, fittedWidth, NUMBER_FORMATS, rowsPerSheet, safeSheetName, toCellValue } from './cell-values.ts';
import type { CellFormat, ColumnRef, ColumnSpec, ColumnValidation, SheetRow, SheetSpec } from './sheet-spec.ts';

export interface WorkbookMeta {
  /** Fixed creation date (the run's finish time), so the same run writes the same bytes. */
  created: Date;
  title: string;
  subject?: string;
}

export interface WriteOptions {
  /** Most data rows per sheet before a sheet continues on the next; default: Excel's limit. */
  maxRowsPerSheet?: number;
}

export interface WrittenSheet {
  name: string;
  rows: number;
  /** the sheet names its rows were written to (more than one when it was split) */
  parts: string[];
}

export interface WrittenWorkbook {
  path: string;
  sha256: string;
  bytes: number;
  sheets: WrittenSheet[];
}

const CREATOR = 'recon';
const HEADER_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFD9E1F2' } };
const HIGHLIGHT_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFE699' } };
const NOTE_FONT: Partial<ExcelJS.Font> = { italic: true, color: { argb: 'FF595959' } };
const TITLE_FONT: Partial<ExcelJS.Font> = { bold: true, size: 13 };
const BOLD: Partial<ExcelJS.Font> = { bold: true };
const THIN: ExcelJS.Border = { style: 'thin', color: { argb: 'FF808080' } };

type ZipAppend = (source: unknown, data: { name: string; date?: Date }) => unknown;
type Zip = { append: ZipAppend; recon_stamped?: boolean };

/**
 * exceljs stamps every zip entry with the current time; stamping them with the run's time instead
 * makes the same run produce byte-identical files (the HTTP download and `recon workbook` agree).
 * The first entries are added inside exceljs's constructor, hence the subclass: its constructor
 * calls addThemes / addOfficeRels, which patch the zip before anything is appended.
 */
function stampedWorkbookWriter(date: Date): typeof ExcelJS.stream.xlsx.WorkbookWriter {
  const stamp = (zip: Zip) => {
    if (zip.recon_stamped) return;
    const append = zip.append.bind(zip);
    zip.append = (source, data) => append(source, { ...data, date });
    zip.recon_stamped = true;
  };
  const Base = ExcelJS.stream.xlsx.WorkbookWriter as unknown as new (options: object) => { zip: Zip; addThemes(): Promise<void>; addOfficeRels(): Promise<void> };
  class StampedWriter extends Base {
    override addThemes() {
      stamp(this.zip);
      return super.addThemes();
    }
    override addOfficeRels() {
      stamp(this.zip);
      return super.addOfficeRels();
    }
  }
  return StampedWriter as unknown as typeof ExcelJS.stream.xlsx.WorkbookWriter;
}

/**
 * Writes sheets to an .xlsx file with exceljs's streaming writer: each row is committed as it is
 * written, so a sheet never sits whole in memory. The file appears under its final name only when
 * complete (written beside it, then renamed).
 */
export async function writeWorkbook(filePath: string, sheets: SheetSpec[], meta: WorkbookMeta, options: WriteOptions = {}): Promise<WrittenWorkbook> {
  fs.mkdirSync(path.dirname(filePath), { recursive: true });
  const partial = partialName(filePath);
  const Writer = stampedWorkbookWriter(meta.created);
  const workbook = new Writer({ filename: partial, useStyles: true, useSharedStrings: false });
  workbook.creator = CREATOR;
  workbook.lastModifiedBy = CREATOR;
  workbook.created = meta.created;
  workbook.modified = meta.created;
  workbook.title = meta.title;
  if (meta.subject) workbook.subject = meta.subject;

  const taken = new Set<string>();
  const ranges: DataRanges = new Map();
  const written: WrittenSheet[] = [];
  try {
    for (const spec of sheets) written.push(await writeSheet(workbook, spec, taken, options, ranges));
    await workbook.commit();
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw new Error(`writing workbook ${filePath} failed: ${(error as Error).message}`, { cause: error });
  }
  // Hashed before the rename, from this writer's own file: a writer in another process may
  // rename its (identical) file over the final name at any moment.
  const bytes = fs.readFileSync(partial);
  if (!isCompleteZip(bytes)) {
    fs.rmSync(partial, { force: true });
    throw new Error(`writing workbook ${filePath} failed: the file is not a complete zip (${bytes.length} bytes)`);
  }
  fs.renameSync(partial, filePath);
  return { path: filePath, sha256: crypto.createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length, sheets: written };
}

const PARTIAL = /\.(\d+)(?:\.[0-9a-f]+)?\.partial$/;

/**
 * A temporary name beside the final file, unique per writer: two writers of one workbook (two
 * requests in one process, or two processes) never share a file. The pid lets a later start
 * tell a dead writer's leftover from a live one's.
 */
function partialName(filePath: string): string {
  return `${filePath}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.partial`;
}

/** A zip ends with its end-of-central-directory record (signature PK\x05\x06, 22 bytes without a comment). */
function isCompleteZip(bytes: Buffer): boolean {
  const tail = bytes.subarray(Math.max(0, bytes.length - 22 - 0xffff));
  const at = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  return at >= 0 && tail.length - at >= 22;
}

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Removes `*.partial` files in `dir` left by writers that died (their pid is not running, or is
 * this process's own pid from an earlier life in a container). Returns the removed paths.
 */
export function removePartialLeftovers(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const removed: string[] = [];
  for (const name of fs.readdirSync(dir)) {
    const match = PARTIAL.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid !== process.pid && isRunning(pid)) continue;
    fs.rmSync(path.join(dir, name), { force: true });
    removed.push(path.join(dir, name));
  }
  return removed;
}

const FORMATS = new Set<string>(Object.keys(NUMBER_FORMATS));

/** The format of one cell: the row's own (formatFrom) when it names a known one, else the column's. */
function formatOf(column: ColumnSpec, row: SheetRow): CellFormat {
  if (!column.formatFrom) return column.format;
  const wanted = row[column.formatFrom];
  return typeof wanted === 'string' && FORMATS.has(wanted) ? (wanted as CellFormat) : column.format;
}

/**
 * Column widths: for a sheet whose rows are a list, wide enough for every value and total as its
 * format shows it (no `###` anywhere); for a streamed sheet, the format's default width.
 */
function sheetWidths(spec: SheetSpec): number[] {
  const rows = spec.rows;
  if (!Array.isArray(rows)) return spec.columns.map((c) => columnWidth(c));
  return spec.columns.map((c) => {
    const values: SheetRow[string][] = rows.map((r) => r[c.key]);
    const formats: CellFormat[] = rows.map((r) => formatOf(c, r));
    if (c.total) {
      values.push(spec.totalOverrides?.[c.key] ?? rows.reduce((t, r) => addToTotal(t, r[c.key]), new Decimal(0)).toFixed());
      formats.push(c.format);
    }
    return fittedWidth(c, values, (_v, i) => formats[i]!);
  });
}

/**
 * Print setup of every sheet: landscape, as many pages down as it takes but one page wide, the
 * header row repeated on each page.
 */
function pageSetup(headerRow: number, hasHeader: boolean): Partial<ExcelJS.PageSetup> {
  return {
    orientation: 'landscape',
    fitToPage: true,
    fitToWidth: 1,
    fitToHeight: 0,
    ...(hasHeader ? { printTitlesRow: `${headerRow}:${headerRow}` } : {}),
  };
}

/** Where the data cells of each column of the sheets written so far are: spec name → column key → range. */
type DataRanges = Map<string, Map<string, { sheet: string; column: number; first: number; last: number }>>;

/** The column letters of a 1-based column number (1 → A, 27 → AA). */
function columnLetters(n: number): string {
  let letters = '';
  for (let rest = n; rest > 0; rest = Math.floor((rest - 1) / 26)) letters = String.fromCharCode(65 + ((rest - 1) % 26)) + letters;
  return letters;
}

/** An absolute reference to the data cells of an earlier sheet's column, or undefined (no such sheet or column, or no rows). */
function rangeOf(ranges: DataRanges, ref: ColumnRef): string | undefined {
  const at = ranges.get(ref.sheet)?.get(ref.key);
  if (!at || at.last < at.first) return undefined;
  const col = columnLetters(at.column);
  return `'${at.sheet.replace(/'/g, "''")}'!$${col}$${at.first}:$${col}$${at.last}`;
}

/** exceljs's data validation for a column's cells from `first` down, or undefined when what it refers to is missing. */
function dataValidation(v: ColumnValidation, columns: SheetSpec['columns'], first: number, ranges: DataRanges): ExcelJS.DataValidation | undefined {
  const messages = { showErrorMessage: true, errorStyle: 'stop' as const, errorTitle: 'Not accepted', error: v.error, ...(v.prompt ? { showInputMessage: true, prompt: v.prompt } : {}) };
  if (v.type === 'list') {
    if ('values' in v) return { type: 'list', allowBlank: true, formulae: [`"${v.values.join(',')}"`], ...messages };
    const range = rangeOf(ranges, v.column);
    return range ? { type: 'list', allowBlank: true, formulae: [range], ...messages } : undefined;
  }
  const keyAt = columns.findIndex((c) => c.key === v.max.byKey);
  const keys = rangeOf(ranges, v.max.lookup.column);
  const values = rangeOf(ranges, v.max.lookup.value);
  if (keyAt < 0 || !keys || !values) return undefined;
  // relative to the first cell of the range, as Excel reads a validation formula
  const max = `IFERROR(INDEX(${values},MATCH(${columnLetters(keyAt + 1)}${first},${keys},0)),0)`;
  return { type: 'decimal', operator: 'between', allowBlank: true, formulae: [Number(v.min), max], ...messages };
}

async function writeSheet(workbook: ExcelJS.stream.xlsx.WorkbookWriter, spec: SheetSpec, taken: Set<string>, options: WriteOptions, ranges: DataRanges = new Map()): Promise<WrittenSheet> {
  const notes = spec.notes ?? [];
  const columns = spec.columns;
  const widths = sheetWidths(spec);
  // title, notes, a blank line, then the header
  const headerRow = notes.length + 3;
  // a continued part has one more note line above its header
  const perSheet = rowsPerSheet(spec.maxRows ?? options.maxRowsPerSheet, headerRow + 1, 3);
  const styles = new Map<string, Partial<ExcelJS.Style>>();
  const styleOf = (format: CellFormat, highlighted: boolean): Partial<ExcelJS.Style> => {
    const key = `${format}|${highlighted}`;
    let style = styles.get(key);
    if (!style) {
      style = highlighted ? { numFmt: NUMBER_FORMATS[format], fill: HIGHLIGHT_FILL } : { numFmt: NUMBER_FORMATS[format] };
      styles.set(key, style);
    }
    return style;
  };
  const totals = columns.map(() => new Decimal(0));
  const hasTotals = columns.some((c) => c.total);
  const parts: string[] = [];
  let rowsWritten = 0;

  const openPart = (continuedFrom: string | undefined) => {
    const name = safeSheetName(parts.length === 0 ? spec.name : `${spec.name} (${parts.length + 1})`, taken);
    taken.add(name.toLowerCase());
    parts.push(name);
    const top = continuedFrom ? headerRow + 1 : headerRow;
    const sheet = workbook.addWorksheet(name, {
      views: [{ state: 'frozen', ySplit: columns.length > 0 ? top : 0, xSplit: 0, showGridLines: true }],
      properties: { defaultRowHeight: 15 },
      pageSetup: pageSetup(top, columns.length > 0),
      ...(spec.hidden ? { state: 'hidden' as const } : {}),
    });
    sheet.columns = columns.map((_c, i) => ({ width: widths[i]! }));
    const title = sheet.getRow(1);
    title.getCell(1).value = name;
    title.getCell(1).font = TITLE_FONT;
    title.commit();
    const lines = continuedFrom ? [...notes, `Continued from sheet '${continuedFrom}': rows ${rowsWritten + 1} onward.`] : notes;
    lines.forEach((line, i) => {
      const row = sheet.getRow(2 + i);
      row.getCell(1).value = line;
      row.getCell(1).font = NOTE_FONT;
      row.commit();
    });
    if (columns.length > 0) {
      const header = sheet.getRow(top);
      columns.forEach((c, i) => {
        const cell = header.getCell(i + 1);
        cell.value = c.header;
        cell.style = { font: BOLD, fill: HEADER_FILL, border: { bottom: THIN }, alignment: { wrapText: true, vertical: 'bottom' } };
      });
      header.commit();
    }
    return { sheet, header: top, next: top + 1, firstData: top + 1 };
  };

  const closePart = (part: ReturnType<typeof openPart>, continuesOn: string | undefined, isLast: boolean) => {
    const lastData = part.next - 1;
    const single = isLast && parts.length === 1;
    if (single) ranges.set(spec.name, new Map(columns.map((c, i) => [c.key, { sheet: parts[0]!, column: i + 1, first: part.firstData, last: lastData }])));
    if (lastData >= part.firstData) {
      columns.forEach((c, i) => {
        const validation = c.validation && dataValidation(c.validation, columns, part.firstData, ranges);
        // the streaming writer has dataValidations as the in-memory one does; its typings leave it out
        if (validation) (part.sheet as unknown as { dataValidations: { add(address: string, validation: ExcelJS.DataValidation): void } }).dataValidations.add(`${columnLetters(i + 1)}${part.firstData}:${columnLetters(i + 1)}${lastData}`, validation);
      });
    }
    if (columns.length > 0) {
      part.sheet.autoFilter = { from: { row: part.header, column: 1 }, to: { row: Math.max(part.header, lastData), column: columns.length } };
    }
    if (isLast && hasTotals) {
      const row = part.sheet.getRow(part.next++);
      const labelIndex = Math.max(0, columns.findIndex((c) => !c.total));
      columns.forEach((c, i) => {
        const cell = row.getCell(i + 1);
        if (c.total) {
          // The total of the stored decimal strings, written as a value: it equals the database
          // figure exactly, where a SUM over float cells could drift in the last cent.
          const value = toCellValue(spec.totalOverrides?.[c.key] ?? totals[i]!.toFixed(), c.format);
          const letters = columnLetters(i + 1);
          cell.value = spec.liveTotals && single && lastData >= part.firstData && typeof value === 'number'
            ? { formula: `SUM(${letters}${part.firstData}:${letters}${lastData})`, result: value }
            : value;
          cell.style = { numFmt: NUMBER_FORMATS[c.format], font: BOLD, border: { top: THIN } };
        } else if (i === labelIndex) {
          cell.value = parts.length > 1 ? `${spec.totalLabel ?? 'Total'} (all parts)` : (spec.totalLabel ?? 'Total');
          cell.style = { font: BOLD, border: { top: THIN } };
        } else {
          cell.style = { border: { top: THIN } };
        }
      });
      row.commit();
    }
    if (continuesOn) {
      const row = part.sheet.getRow(part.next + 1);
      row.getCell(1).value = `Rows after ${rowsWritten} continue on sheet '${continuesOn}' (at most ${perSheet.toLocaleString('en-US')} rows per sheet).`;
      row.getCell(1).font = { ...NOTE_FONT, bold: true };
      row.commit();
    }
    part.sheet.commit();
  };

  let part = openPart(undefined);
  let inPart = 0;
  for await (const row of spec.rows as AsyncIterable<SheetRow> | Iterable<SheetRow>) {
    if (columns.length === 0) continue;
    if (inPart >= perSheet) {
      const nextName = safeSheetName(`${spec.name} (${parts.length + 1})`, taken);
      closePart(part, nextName, false);
      const previous = parts[parts.length - 1]!;
      part = openPart(previous);
      inPart = 0;
    }
    const highlighted = spec.highlight?.(row) === true;
    const excelRow = part.sheet.getRow(part.next++);
    columns.forEach((c, i) => {
      const value = row[c.key];
      const cell = excelRow.getCell(i + 1);
      const format = formatOf(c, row);
      cell.value = toCellValue(value, format);
      cell.style = styleOf(format, highlighted);
      if (c.total) totals[i] = addToTotal(totals[i]!, value);
    });
    excelRow.commit();
    inPart += 1;
    rowsWritten += 1;
  }
  closePart(part, undefined, true);
  return { name: parts[0]!, rows: rowsWritten, parts };
}
