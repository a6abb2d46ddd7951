// Small CSV helpers shared by the loaders: quoting a field for COPY ... (format csv) and cutting a
// byte stream into chunks that end on a record boundary (so each chunk is a valid COPY input).
/** A CSV field for COPY: null is an empty unquoted field (SQL NULL), text is always quoted. */
export function csvField(value) {
    if (value === null || value === undefined)
        return '';
    return '"' + value.replace(/"/g, '""') + '"';
}
export function csvLine(values) {
    return values.map(csvField).join(',') + '\n';
}
const QUOTE = 0x22;
const NEWLINE = 0x0a;
/**
 * Accumulates bytes and hands out chunks of at least `size` bytes that end right after a newline
 * outside quotes (RFC 4180: a newline is inside a quoted field exactly when an odd number of
 * quotes precede it in the record).
 */
export class RecordChunker {
    size;
    parts = [];
    length = 0;
    /** quote parity at the end of the buffered bytes, and the offset of the last safe cut */
    inQuotes = false;
    lastCut = -1;
    constructor(size = 4 * 1024 * 1024) {
        this.size = size;
    }
    push(chunk) {
        const base = this.length;
        for (let i = 0; i < chunk.length; i++) {
            const byte = chunk[i];
            if (byte === QUOTE)
                this.inQuotes = !this.inQuotes;
            else if (byte === NEWLINE && !this.inQuotes)
                this.lastCut = base + i + 1;
        }
        this.parts.push(chunk);
        this.length += chunk.length;
        if (this.length < this.size || this.lastCut <= 0)
            return [];
        const all = Buffer.concat(this.parts);
        const out = all.subarray(0, this.lastCut);
        const rest = all.subarray(this.lastCut);
        this.parts = rest.length > 0 ? [Buffer.from(rest)] : [];
        this.length = rest.length;
        this.lastCut = -1;
        return [out];
    }
    /** Whatever is left (a last record without a trailing newline included). */
    end() {
        if (this.length === 0)
            return undefined;
        const all = Buffer.concat(this.parts);
        this.parts = [];
        this.length = 0;
        return all;
    }
}
