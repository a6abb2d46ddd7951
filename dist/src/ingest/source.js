import crypto from 'node:crypto';
import fs from 'node:fs';
import { Transform } from 'node:stream';
import zlib from 'node:zlib';
// Opening a source file: gzip recognised by its magic bytes (not its name), the first 64 KiB of
// decompressed text for format detection, and a byte meter that hashes the file as it streams
// so the loader reads every file exactly once.
export const HEAD_BYTES = 64 * 1024;
export function statSource(filePath) {
    const stat = fs.statSync(filePath);
    if (!stat.isFile())
        throw new Error(`${filePath} is not a file`);
    const fd = fs.openSync(filePath, 'r');
    try {
        const magic = Buffer.alloc(2);
        const read = fs.readSync(fd, magic, 0, 2, 0);
        return { path: filePath, bytes: stat.size, gzip: read === 2 && magic[0] === 0x1f && magic[1] === 0x8b };
    }
    finally {
        fs.closeSync(fd);
    }
}
/** The first (up to) 64 KiB of the decompressed content, as text without a byte order mark. */
export async function readHead(source) {
    const chunks = [];
    let length = 0;
    const input = fs.createReadStream(source.path, source.gzip ? {} : { end: HEAD_BYTES - 1 });
    const stream = source.gzip ? input.pipe(zlib.createGunzip()) : input;
    stream.on('error', () => undefined);
    try {
        for await (const chunk of stream) {
            chunks.push(chunk);
            length += chunk.length;
            if (length >= HEAD_BYTES)
                break;
        }
    }
    catch (error) {
        // A truncated gzip still has a readable head; anything else is unreadable.
        if (chunks.length === 0)
            throw new Error(`cannot read ${source.path}: ${error.message}`, { cause: error });
    }
    finally {
        input.destroy();
    }
    return stripBom(Buffer.concat(chunks).subarray(0, HEAD_BYTES).toString('utf8'));
}
export function stripBom(text) {
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
/**
 * A stream of the file's decompressed bytes plus a meter hashing and counting the raw bytes.
 * `onBytes` is called with the running total as the file is read (for progress bars).
 */
export function openSource(source, onBytes) {
    const hash = crypto.createHash('sha256');
    let bytesRead = 0;
    let digest;
    const meterStream = new Transform({
        transform(chunk, _encoding, callback) {
            hash.update(chunk);
            bytesRead += chunk.length;
            onBytes?.(bytesRead);
            callback(null, chunk);
        },
    });
    const input = fs.createReadStream(source.path, { highWaterMark: 1024 * 1024 });
    input.on('error', (error) => meterStream.destroy(error));
    let stream = input.pipe(meterStream);
    if (source.gzip) {
        const gunzip = zlib.createGunzip();
        meterStream.on('error', (error) => gunzip.destroy(error));
        stream = meterStream.pipe(gunzip);
    }
    // The file starts flowing before its consumer attaches; an early error (a truncated gzip) is
    // kept on the stream (stream.errored) for the consumer to see instead of crashing the process.
    stream.on('error', () => undefined);
    return {
        stream,
        meter: {
            get bytesRead() {
                return bytesRead;
            },
            digest() {
                digest ??= hash.digest('hex');
                return digest;
            },
        },
    };
}
/** sha256 of a file, streamed (used only when a file of the same size was ingested before). */
export async function hashFile(filePath) {
    const hash = crypto.createHash('sha256');
    for await (const chunk of fs.createReadStream(filePath, { highWaterMark: 1024 * 1024 }))
        hash.update(chunk);
    return hash.digest('hex');
}
