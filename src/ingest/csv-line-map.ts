import { Transform } from 'node:stream';

// COPY numbers the records of a CSV file, not its lines: a quoted field holding a newline makes
// every later record's line one more than its record number says. This watches the bytes on
// their way to COPY and notes where that happens, so the staged path can give rejects and stored
// rows the file's own line numbers (the screened path counts lines itself).

/** Records (0 = the header) after which the file has extra lines, and how many extra lines in all from there on. */
export interface LineShifts {
  /** ascending: data record numbers (1-based, as COPY's identity numbers them) from which `extra` applies */
  fromRecord: number[];
  /** the total extra lines before each of those records */
  extra: number[];
}

/** A pass-through stream that tracks CSV quoting (RFC 4180) and counts newlines inside quoted fields per record. */
export function lineShiftWatcher(): { stream: Transform; shifts(): LineShifts } {
  let quoted = false;
  let record = 0; // 0 = header
  let inRecord = 0; // newlines inside quotes in the current record
  let total = 0;
  const fromRecord: number[] = [];
  const extra: number[] = [];
  const stream = new Transform({
    transform(chunk: Buffer | string, _encoding, done) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      for (let i = 0; i < bytes.length; i++) {
        const b = bytes[i]!;
        if (b === 0x22) quoted = !quoted; // "" inside a quoted field toggles twice
        else if (b === 0x0a) {
          if (quoted) inRecord += 1;
          else {
            if (inRecord > 0) {
              total += inRecord;
              fromRecord.push(record + 1);
              extra.push(total);
              inRecord = 0;
            }
            record += 1;
          }
        }
      }
      done(null, chunk);
    },
  });
  return { stream, shifts: () => ({ fromRecord, extra }) };
}
