import readline from 'node:readline';
import { Readable } from 'node:stream';
import { parserStream } from 'stream-json';
import { streamArray } from 'stream-json/streamers/stream-array.js';
import { pick } from 'stream-json/filters/pick.js';
import { streamValues } from 'stream-json/streamers/stream-values.js';

// JSON inputs without holding the file: a top-level array streamed element by element, JSON
// Lines line by line (malformed lines become rejects), or the values found under a path.

export type JsonItem = { line: number; value: unknown } | { line: number; error: string; raw: string };

/** Array elements (numbered 1..n) when the text starts with `[`, else one value per line. */
export async function* readJsonRecords(input: Readable, head: string): AsyncGenerator<JsonItem> {
  if (head.trimStart().startsWith('[')) {
    let index = 0;
    const stream = input.pipe(parserStream()).pipe(streamArray.asStream());
    input.on('error', (error) => stream.destroy(error));
    for await (const item of stream as AsyncIterable<{ key: number; value: unknown }>) {
      index += 1;
      yield { line: index, value: item.value };
    }
    return;
  }
  let line = 0;
  for await (const text of readline.createInterface({ input, crlfDelay: Infinity })) {
    line += 1;
    if (text.trim() === '') continue;
    try {
      yield { line, value: JSON.parse(text) };
    } catch (error) {
      yield { line, error: `not valid JSON: ${(error as Error).message}`, raw: text.slice(0, 2000) };
    }
  }
}

/** Every value at `path` (a regex over dotted paths), across concatenated JSON documents. */
export async function* readJsonAt(input: Readable, path: RegExp): AsyncGenerator<unknown> {
  const stream = input
    .pipe(parserStream({ jsonStreaming: true }))
    .pipe(pick.asStream({ filter: path }))
    .pipe(streamValues.asStream());
  input.on('error', (error) => stream.destroy(error));
  for await (const item of stream as AsyncIterable<{ value: unknown }>) yield item.value;
}

export { Readable };
