import readline from 'node:readline';
import { Readable } from 'node:stream';
import { parserStream } from 'stream-json';
import { streamArray } from 'stream-json/streamers/stream-array.js';
import { pick } from 'stream-json/filters/pick.js';
import { streamValues } from 'stream-json/streamers/stream-values.js';
import { markInvalidUtf8 } from "../text-bytes.js";
/** The file is not JSON to its end (truncated or malformed): nothing of it can be trusted. */
export class DamagedJson extends Error {
    constructor(cause) {
        super(`the JSON is truncated or malformed (${cause.message})`, { cause });
        this.name = 'DamagedJson';
    }
}
/**
 * `input` through `stages`, each stage's error passed on to the last, whose stream is returned:
 * a parser error surfaces in the consumer's loop instead of as an unhandled 'error' event.
 */
export function connect(input, ...stages) {
    let current = input;
    for (const stage of stages) {
        const from = current;
        from.on('error', (error) => stage.destroy(error));
        current = from.pipe(stage);
    }
    return current;
}
async function* damagedOnError(values) {
    try {
        yield* values;
    }
    catch (error) {
        const code = error.code;
        if (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR' || code === 'ENOENT')
            throw error;
        throw new DamagedJson(error);
    }
}
/**
 * Whether the text is JSON Lines: its first non-blank line is a complete JSON value. A
 * pretty-printed document's first line (`{`, or `{ "a": 1,`) is not.
 */
export function isJsonLines(head) {
    const first = head.split(/\r?\n/).find((line) => line.trim() !== '');
    if (first === undefined)
        return true;
    try {
        JSON.parse(first);
        return true;
    }
    catch {
        return false;
    }
}
/**
 * The first JSON object of the text (a JSON Lines line, a document, or the first element of an
 * array), for format detection; undefined when the head holds none completely.
 */
export function firstJsonObject(head) {
    const text = head.replace(/^\uFEFF/, '').trimStart();
    const asObject = (value) => (value && typeof value === 'object' && !Array.isArray(value) ? value : undefined);
    if (isJsonLines(text)) {
        const first = text.split(/\r?\n/, 1)[0];
        try {
            const value = JSON.parse(first);
            return Array.isArray(value) ? asObject(value[0]) : asObject(value);
        }
        catch {
            return undefined;
        }
    }
    // a document: the first value that parses whole, cutting at each closing brace in turn
    const start = text.startsWith('[') ? text.indexOf('{') : 0;
    if (start < 0)
        return undefined;
    for (let end = text.indexOf('}', start); end >= 0; end = text.indexOf('}', end + 1)) {
        try {
            return asObject(JSON.parse(text.slice(start, end + 1)));
        }
        catch {
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
export async function* readJsonRecords(input, head) {
    const text = head.replace(/^\uFEFF/, '').trimStart();
    if (text.startsWith('[')) {
        let index = 0;
        const elements = connect(input, markInvalidUtf8(), parserStream(), streamArray.asStream());
        for await (const item of damagedOnError(elements)) {
            index += 1;
            yield { line: index, value: item.value };
        }
        return;
    }
    if (!isJsonLines(text)) {
        let index = 0;
        const values = connect(input, markInvalidUtf8(), parserStream({ jsonStreaming: true }), streamValues.asStream());
        for await (const item of damagedOnError(values)) {
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
        if (text.trim() === '')
            continue;
        try {
            yield { line, value: JSON.parse(text) };
        }
        catch (error) {
            yield { line, error: `not valid JSON: ${error.message}`, raw: text.slice(0, 2000) };
        }
    }
}
/**
 * The first non-blank bytes of a stream as text (to choose how to read it) and a stream that
 * replays them followed by the rest.
 */
export async function peekHead(input) {
    const chunks = [];
    const iterator = input[Symbol.asyncIterator]();
    let head = '';
    let done = false;
    while (head.trim() === '') {
        const next = await iterator.next();
        if (next.done) {
            done = true;
            break;
        }
        chunks.push(Buffer.from(next.value));
        head = Buffer.concat(chunks).toString('utf8');
    }
    const replay = Readable.from((async function* () {
        yield* chunks;
        if (done)
            return;
        for (let next = await iterator.next(); !next.done; next = await iterator.next())
            yield next.value;
    })());
    return { head: head.replace(/^\uFEFF/, ''), replay };
}
/** Every value at `path` (a regex over dotted paths), across concatenated JSON documents. */
export async function* readJsonAt(input, path) {
    const stream = connect(input, markInvalidUtf8(), parserStream({ jsonStreaming: true }), pick.asStream({ filter: path }), streamValues.asStream());
    for await (const item of damagedOnError(stream))
        yield item.value;
}
export { Readable };
