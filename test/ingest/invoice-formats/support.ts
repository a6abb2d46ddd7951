import fs from 'node:fs';
import path from 'node:path';
import type { ParsedRow, Reject, SourceFormat } from '../../../src/ingest/format.ts';

export const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/providers');

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

export interface Parsed<T> {
  rows: { line: number; row: T }[];
  rejects: { line: number; reject: Reject }[];
}

export async function parseFile<T>(format: SourceFormat<T>, file: string, skuMappingFile?: string): Promise<Parsed<T>> {
  const out: Parsed<T> = { rows: [], rejects: [] };
  const input = fs.createReadStream(file);
  for await (const item of format.parse(input, { fileName: path.basename(file), skuMappingFile })) {
    if ('row' in item) out.rows.push(item);
    else out.rejects.push(item as Extract<ParsedRow<T>, { reject: Reject }>);
  }
  return out;
}

export async function parseText<T>(format: SourceFormat<T>, text: string, fileName = 'inline'): Promise<Parsed<T>> {
  const { Readable } = await import('node:stream');
  const out: Parsed<T> = { rows: [], rejects: [] };
  for await (const item of format.parse(Readable.from([text]), { fileName })) {
    if ('row' in item) out.rows.push(item);
    else out.rejects.push(item as Extract<ParsedRow<T>, { reject: Reject }>);
  }
  return out;
}

export function head(file: string): string {
  return fs.readFileSync(file, 'utf8').slice(0, 65536);
}
