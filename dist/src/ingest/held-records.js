import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
/** Held records kept in memory before they are written out to the temporary file. */
const MEMORY_BYTES = 1024 * 1024;
/**
 * Records the screen held back, waiting for the staging table until the screened COPY has ended
 * (one connection, one COPY at a time). A little is kept in memory, the rest in a temporary file,
 * so a file with many held records still runs in flat memory.
 */
export class HeldRecords {
    chunks = [];
    bytes = 0;
    fd = null;
    dir = null;
    add(record) {
        this.chunks.push(record);
        this.bytes += record.length;
        if (this.bytes >= MEMORY_BYTES)
            this.spill();
    }
    /** Every held record, in the order held. */
    stream() {
        if (this.fd === null)
            return Readable.from(this.chunks);
        this.spill();
        fs.closeSync(this.fd);
        this.fd = null;
        return fs.createReadStream(path.join(this.dir, 'held.csv'), { highWaterMark: MEMORY_BYTES });
    }
    dispose() {
        if (this.fd !== null)
            fs.closeSync(this.fd);
        this.fd = null;
        if (this.dir)
            fs.rmSync(this.dir, { recursive: true, force: true });
        this.dir = null;
        this.chunks = [];
    }
    spill() {
        if (this.fd === null) {
            this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-held-'));
            this.fd = fs.openSync(path.join(this.dir, 'held.csv'), 'w');
        }
        fs.writeSync(this.fd, Buffer.concat(this.chunks, this.bytes));
        this.chunks = [];
        this.bytes = 0;
    }
}
