import { isUtf8 } from 'node:buffer';
import { Transform } from 'node:stream';
// Text a row may not hold. Node decodes bytes that are not UTF-8 as U+FFFD without a word, and
// PostgreSQL refuses a NUL in text (failing the whole statement), so the JavaScript readers mark
// each invalid byte with a noncharacter (U+FDD0, never meaningful in a ledger or an invoice) before
// decoding, and the loader quarantines any field holding it or a NUL, with its line and field.
export const INVALID_UTF8 = '\uFDD0';
const MARK = Buffer.from(INVALID_UTF8, 'utf8');
/** Why a text value cannot be stored, or null. */
export function textProblem(value) {
    if (value.includes('\0'))
        return 'holds a NUL byte (text may not hold one)';
    if (value.includes(INVALID_UTF8))
        return 'holds bytes that are not UTF-8 (re-export the file as UTF-8)';
    return null;
}
/** The value as it can be shown and stored in a reject (NUL and invalid bytes made visible). */
export function printable(value) {
    if (value === undefined)
        return undefined;
    return value.replace(/\0/g, '\u2400').replaceAll(INVALID_UTF8, '\uFFFD');
}
/** Bytes in, bytes out: each byte that does not belong to a valid UTF-8 sequence becomes U+FDD0. */
export function markInvalidUtf8() {
    let carry = null;
    return new Transform({
        transform(chunk, _encoding, callback) {
            const buf = carry ? Buffer.concat([carry, chunk]) : chunk;
            const cut = completeEnd(buf);
            carry = cut < buf.length ? Buffer.from(buf.subarray(cut)) : null;
            const body = buf.subarray(0, cut);
            callback(null, isUtf8(body) ? body : repair(body));
        },
        flush(callback) {
            const rest = carry;
            carry = null;
            callback(null, rest && rest.length > 0 ? (isUtf8(rest) ? rest : repair(rest)) : undefined);
        },
    });
}
/** Where the bytes stop holding only complete sequences (an incomplete last one waits for more). */
function completeEnd(buf) {
    for (let back = 1; back <= 3 && back <= buf.length; back++) {
        const b = buf[buf.length - back];
        if (b < 0x80)
            return buf.length;
        if (b >= 0xc0) {
            const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
            return need > back ? buf.length - back : buf.length;
        }
    }
    return buf.length;
}
/** Length of the valid sequence at `i`, or 0 when the byte there starts none. */
function sequenceLength(buf, i) {
    const b = buf[i];
    if (b < 0x80)
        return 1;
    const cont = (k, lo = 0x80, hi = 0xbf) => i + k < buf.length && buf[i + k] >= lo && buf[i + k] <= hi;
    if (b >= 0xc2 && b <= 0xdf)
        return cont(1) ? 2 : 0;
    if (b === 0xe0)
        return cont(1, 0xa0) && cont(2) ? 3 : 0;
    if ((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef)
        return cont(1) && cont(2) ? 3 : 0;
    if (b === 0xed)
        return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
    if (b === 0xf0)
        return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
    if (b >= 0xf1 && b <= 0xf3)
        return cont(1) && cont(2) && cont(3) ? 4 : 0;
    if (b === 0xf4)
        return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
    return 0;
}
function repair(buf) {
    const parts = [];
    let start = 0;
    let i = 0;
    while (i < buf.length) {
        const n = sequenceLength(buf, i);
        if (n > 0) {
            i += n;
            continue;
        }
        if (i > start)
            parts.push(buf.subarray(start, i));
        parts.push(MARK);
        i += 1;
        start = i;
    }
    if (start < buf.length)
        parts.push(buf.subarray(start));
    return Buffer.concat(parts);
}
