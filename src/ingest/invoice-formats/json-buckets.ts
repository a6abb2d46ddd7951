import type { Readable } from 'node:stream';
import parserStream from 'stream-json';
import { markInvalidUtf8 } from '../text-bytes.ts';

// Streams the time buckets of OpenAI / Anthropic admin-API pages without ever holding more than
// one bucket: a file may be one page `{data:[bucket…]}`, an array of pages, or JSONL of pages.
// Numbers stay the exact text of the file (never a JS number), so 0.1 + 0.2 cannot drift.

export type JsonValue = string | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

interface Token {
  name: string;
  value?: unknown;
}

interface Frame {
  container: JsonObject | JsonValue[];
  key: string | null;
}

/** Builds one value from packed tokens; numbers become their source text. */
export class ValueBuilder {
  private readonly stack: Frame[] = [];
  private root: JsonValue | undefined;

  get done(): boolean {
    return this.stack.length === 0 && this.root !== undefined;
  }

  get value(): JsonValue {
    return this.root ?? null;
  }

  consume(token: Token): void {
    switch (token.name) {
      case 'startObject':
        this.push({});
        break;
      case 'startArray':
        this.push([]);
        break;
      case 'endObject':
      case 'endArray':
        this.stack.pop();
        break;
      case 'keyValue': {
        const top = this.stack[this.stack.length - 1];
        if (top) top.key = String(token.value);
        break;
      }
      case 'stringValue':
      case 'numberValue':
        this.add(String(token.value));
        break;
      case 'nullValue':
        this.add(null);
        break;
      case 'trueValue':
        this.add(true);
        break;
      case 'falseValue':
        this.add(false);
        break;
      default:
        break;
    }
  }

  private push(container: JsonObject | JsonValue[]): void {
    this.add(container);
    this.stack.push({ container, key: null });
  }

  private add(value: JsonValue): void {
    const top = this.stack[this.stack.length - 1];
    if (!top) {
      this.root = value;
      return;
    }
    if (Array.isArray(top.container)) top.container.push(value);
    else if (top.key !== null) top.container[top.key] = value;
  }
}

interface Level {
  kind: 'object' | 'array';
  /** the key this container sits under in its parent object */
  key: string | null;
  lastKey: string | null;
}

/**
 * Yields every object that is an element of a `data` array (a bucket), whatever wraps the pages.
 * Throws when the text is not JSON at all.
 */
export async function* streamBuckets(input: Readable): AsyncGenerator<JsonObject> {
  const tokens = parserStream({ jsonStreaming: true, packValues: true, streamValues: false });
  const marked = markInvalidUtf8();
  input.on('error', (error) => marked.destroy(error));
  marked.on('error', (error) => tokens.destroy(error));
  input.pipe(marked).pipe(tokens);
  const levels: Level[] = [];
  let builder: ValueBuilder | null = null;
  for await (const token of tokens as AsyncIterable<Token>) {
    if (builder) {
      builder.consume(token);
      if (builder.done) {
        const value = builder.value;
        builder = null;
        if (value && typeof value === 'object' && !Array.isArray(value)) yield value;
      }
      continue;
    }
    const top = levels[levels.length - 1];
    switch (token.name) {
      case 'startObject':
        if (top?.kind === 'array' && top.key === 'data') {
          builder = new ValueBuilder();
          builder.consume(token);
        } else {
          levels.push({ kind: 'object', key: top?.kind === 'object' ? top.lastKey : null, lastKey: null });
        }
        break;
      case 'startArray':
        levels.push({ kind: 'array', key: top?.kind === 'object' ? top.lastKey : null, lastKey: null });
        break;
      case 'endObject':
      case 'endArray':
        levels.pop();
        break;
      case 'keyValue':
        if (top) top.lastKey = String(token.value);
        break;
      default:
        break;
    }
  }
}

export function field(object: JsonObject, key: string): string | null {
  const value = object[key];
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return null;
}

export function child(object: JsonObject, key: string): JsonObject | null {
  const value = object[key];
  return value && typeof value === 'object' && !Array.isArray(value) ? value : null;
}

export function results(bucket: JsonObject): JsonObject[] {
  const value = bucket.results ?? bucket.result;
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is JsonObject => !!v && typeof v === 'object' && !Array.isArray(v));
}
