import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { CSV_LINE_ENDINGS, recordStartLine } from '../csv-records.ts';
import { markInvalidUtf8 } from '../text-bytes.ts';

// Streams a CSV export one record at a time, keyed by normalised header names, with the
// 1-based line of the record in the file (for rejects that point at the line to fix).

export interface CsvRecord {
  line: number;
  get(column: string): string | null;
  raw: string;
}

/** `lineItem/UsageType` (legacy CUR) and `line_item_usage_type` (CUR 2.0) both become `line_item_usage_type`. */
export function snakeHeader(name: string): string {
  return name
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[/\s.-]+/g, '_')
    .toLowerCase();
}

/** FOCUS columns are PascalCase by spec; match them case-insensitively. */
export function lowerHeader(name: string): string {
  return name.trim().toLowerCase();
}

export function splitHeaderLine(head: string): string[] {
  const first = head.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  return first.split(',').map((h) => h.trim().replace(/^"|"$/g, '').trim());
}

export async function* streamCsv(
  input: Readable,
  normaliseHeader: (name: string) => string,
  validateHeader: (columns: Set<string>) => void,
): AsyncGenerator<CsvRecord> {
  const parser = parse({ ...CSV_LINE_ENDINGS, bom: true, info: true, relax_column_count: true, skip_empty_lines: true, trim: false });
  const marked = markInvalidUtf8();
  input.on('error', (error) => marked.destroy(error));
  marked.on('error', (error) => parser.destroy(error));
  input.pipe(marked).pipe(parser);
  let header: string[] | null = null;
  let index = new Map<string, number>();
  for await (const item of parser as AsyncIterable<{ info: { lines: number }; record: string[] }>) {
    if (!header) {
      header = item.record.map(normaliseHeader);
      index = new Map(header.map((h, i) => [h, i] as const));
      validateHeader(new Set(header));
      continue;
    }
    const record = item.record;
    yield {
      line: recordStartLine(item.info.lines, record),
      get: (column: string) => {
        const i = index.get(column);
        return i === undefined ? null : (record[i] ?? null);
      },
      raw: record.join(','),
    };
  }
}
