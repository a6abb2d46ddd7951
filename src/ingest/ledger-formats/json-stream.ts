import readline from 'node:readline';
import { Readable, type Duplex, type Transform } from 'node:stream';
import { parserStream } from 'stream-json';
import { streamArray } from 'stream-json/streamers/stream-array.js';
import { pick } from 'stream-json/filters/pick.js';
import { streamValues } from 'stream-json/streamers/stream-values.js';
import { markInvalidUtf8 } from '../text-bytes.ts';

// JSON inputs without holding the file: a top-level array streamed element by element, JSON
// Lines line by line (malformed lines become rejects), one pretty-printed document (an object is
// one record, an array its elements), or the values found under a path. A file that ends inside
// a value (a truncated download) is refused as a whole with DamagedJson, never a crash.

export type JsonItem = { line: number; value: unknown } | { line: number; error: string; raw: string };

/** The file is not JSON to its end (truncated or malformed): nothing of it can be trusted. */
export class DamagedJson extends Error {
  constructor(cause: Error) {
    super(`the JSON is truncated or malformed (${cause.message})`, { cause });
    this.name = 'DamagedJson';
  }
}

/**
 * `input` through `stages`, each stage's error passed on to the last, whose stream is returned:
 * a parser error surfaces in the consumer's loop instead of as an unhandled 'error' event.
 */
export function connect(input: Readable, ...stages: (Transform | Duplex)[]): Readable {
  let current: Readable = input;
  for (const stage of stages) {
    const from = current;
    from.on('error', (error) => stage.destroy(error));
    current = from.pipe(stage);
  }
  return current;
}

async function* damagedOnError<T>(values: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* values;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR' || code === 'ENOENT') throw error;
    throw new DamagedJson(error as Error);
  }
}

/**
 * Whether the text is JSON Lines: its first non-blank line is a complete JSON value. A
 * pretty-printed document's first line (`{`, or `{ "a": 1,`) is not.
 */
export function isJsonLines(head: string): boolean {
  const first = head.split(/\r?\n/).find((line) => line.trim() !== '');
  if (first === undefined) return true;
  try {
    JSON.parse(first);
    return true;
  } catch {
    return false;
  }
}

/**
 * The first JSON object of the text (a JSON Lines line, a document, or the first element of an
 * array), for format detection; undefined when the head holds none completely.
 */
export function firstJsonObject(head: string): Record<string, unknown> | undefined {
  const text = head.replace(/^\uFEFF/, '').trimStart();
  const asObject = (value: unknown) => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined);
  if (isJsonLines(text)) {
    const first = text.split(/\r?\n/, 1)[0]!;
    try {
      const value = JSON.parse(first) as unknown;
      return Array.isArray(value) ? asObject(value[0]) : asObject(value);
    } catch {
      return undefined;
    }
  }
  // a document: the first value that parses whole, cutting at each closing brace in turn
  const start = text.startsWith('[') ? text.indexOf('{') : 0;
  if (start < 0) return undefined;
  for (let end = text.indexOf('}', start); end >= 0; end = text.indexOf('}', end + 1)) {
    try {
      return asObject(JSON.parse(text.slice(start, end + 1)));
    } catch {
      // not yet the object's closing brace
    }
  }
  return undefined;
}

/**
 * Records of a JSON file: array elements (numbered 1..n) when the text starts with `[`; one value
 * per line for JSON Lines; else the file is one or more documents, each object a record and each
 * array's elements records (numbered in file order).
 */
export async function* readJsonRecords(input: Readable, head: string): AsyncGenerator<JsonItem> {
  const text = head.replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('[')) {
    let index = 0;
    const elements = connect(input, markInvalidUtf8(), parserStream(), streamArray.asStream());
    for await (const item of damagedOnError(elements as AsyncIterable<{ value: unknown }>)) {
      index += 1;
      yield { line: index, value: item.value };
    }
    return;
  }
  if (!isJsonLines(text)) {
    let index = 0;
    const values = connect(input, markInvalidUtf8(), parserStream({ jsonStreaming: true }), streamValues.asStream());
    for await (const item of damagedOnError(values as AsyncIterable<{ value: unknown }>)) {
      for (const value of Array.isArray(item.value) ? item.value : [item.value]) {
        index += 1;
        yield { line: index, value };
      }
    }
    return;
  }
  let line = 0;
  for await (const text of readline.createInterface({ input: connect(input, markInvalidUtf8()), crlfDelay: Infinity })) {
    line += 1;
    if (text.trim() === '') continue;
    try {
      yield { line, value: JSON.parse(text) };
    } catch (error) {
      yield { line, error: `not valid JSON: ${(error as Error).message}`, raw: text.slice(0, 2000) };
    }
  }
}

/**
 * The first non-blank bytes of a stream as text (to choose how to read it) and a stream that
 * replays them followed by the rest.
 */
export async function peekHead(input: Readable): Promise<{ head: string; replay: Readable }> {
  const chunks: Buffer[] = [];
  const iterator = input[Symbol.asyncIterator]();
  let head = '';
  let done = false;
  while (head.trim() === '') {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    chunks.push(Buffer.from(next.value as Buffer));
    head = Buffer.concat(chunks).toString('utf8');
  }
  const replay = Readable.from((async function* () {
    yield* chunks;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value as Buffer;
  })());
  return { head: head.replace(/^\uFEFF/, ''), replay };
}

/** Every value at `path` (a regex over dotted paths), across concatenated JSON documents. */
export async function* readJsonAt(input: Readable, path: RegExp): AsyncGenerator<unknown> {
  const stream = connect(input, markInvalidUtf8(), parserStream({ jsonStreaming: true }), pick.asStream({ filter: path }), streamValues.asStream());
  for await (const item of damagedOnError(stream as AsyncIterable<{ value: unknown }>)) yield item.value;
}

export { Readable };
