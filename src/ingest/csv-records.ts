import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';

export type CsvRecord = { line: number; fields: string[] } | { line: number; error: string };

/**
 * CSV records with the line they end on. A record csv-parse cannot read (a stray quote) comes out
 * as an error for that line and reading goes on, so one bad line never sinks the file.
 */
export async function* readCsvRecords(input: Readable): AsyncGenerator<CsvRecord> {
  const skipped: CsvRecord[] = [];
  const parser = input.pipe(
    parse({
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (error) => {
        if (error) skipped.push({ line: Number((error as { lines?: number }).lines ?? 0), error: error.message });
      },
    }),
  );
  input.on('error', (error) => parser.destroy(error));
  for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    while (skipped.length > 0) yield skipped.shift()!;
    yield { line: item.info.lines, fields: item.record };
  }
  while (skipped.length > 0) yield skipped.shift()!;
}

/** Header names as recon compares them: trimmed, lower case. */
export function normalizeHeader(fields: readonly string[]): string[] {
  return fields.map((field) => field.trim().toLowerCase());
}

/** The first line of a CSV head, split (good enough for detection: header names never hold newlines). */
export function headerOf(head: string): string[] {
  const firstLine = head.split(/\r?\n/, 1)[0] ?? '';
  return normalizeHeader(firstLine.split(',').map((f) => f.replace(/^"|"$/g, '')));
}
