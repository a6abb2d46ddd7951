import parserStream from 'stream-json';
import { markInvalidUtf8 } from "../text-bytes.js";
/** Builds one value from packed tokens; numbers become their source text. */
export class ValueBuilder {
    stack = [];
    root;
    get done() {
        return this.stack.length === 0 && this.root !== undefined;
    }
    get value() {
        return this.root ?? null;
    }
    consume(token) {
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
                if (top)
                    top.key = String(token.value);
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
    push(container) {
        this.add(container);
        this.stack.push({ container, key: null });
    }
    add(value) {
        const top = this.stack[this.stack.length - 1];
        if (!top) {
            this.root = value;
            return;
        }
        if (Array.isArray(top.container))
            top.container.push(value);
        else if (top.key !== null)
            top.container[top.key] = value;
    }
}
/**
 * Yields every object that is an element of a `data` array (a bucket), whatever wraps the pages.
 * Throws when the text is not JSON at all.
 */
export async function* streamBuckets(input) {
    const tokens = parserStream({ jsonStreaming: true, packValues: true, streamValues: false });
    const marked = markInvalidUtf8();
    input.on('error', (error) => marked.destroy(error));
    marked.on('error', (error) => tokens.destroy(error));
    input.pipe(marked).pipe(tokens);
    const levels = [];
    let builder = null;
    for await (const token of tokens) {
        if (builder) {
            builder.consume(token);
            if (builder.done) {
                const value = builder.value;
                builder = null;
                if (value && typeof value === 'object' && !Array.isArray(value))
                    yield value;
            }
            continue;
        }
        const top = levels[levels.length - 1];
        switch (token.name) {
            case 'startObject':
                if (top?.kind === 'array' && top.key === 'data') {
                    builder = new ValueBuilder();
                    builder.consume(token);
                }
                else {
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
                if (top)
                    top.lastKey = String(token.value);
                break;
            default:
                break;
        }
    }
}
export function field(object, key) {
    const value = object[key];
    if (value === undefined || value === null)
        return null;
    if (typeof value === 'string')
        return value;
    if (typeof value === 'boolean')
        return value ? 'true' : 'false';
    return null;
}
export function child(object, key) {
    const value = object[key];
    return value && typeof value === 'object' && !Array.isArray(value) ? value : null;
}
export function results(bucket) {
    const value = bucket.results ?? bucket.result;
    if (!Array.isArray(value))
        return [];
    return value.filter((v) => !!v && typeof v === 'object' && !Array.isArray(v));
}
