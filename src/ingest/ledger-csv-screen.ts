import { isUtf8 } from 'node:buffer';
import type { LEDGER_COLUMNS } from './format.ts';
import { MAX_REQUEST_ID_BYTES } from './queries.ts';
import { SERVICE_TIERS } from '../vocabulary.ts';

// The fast path of the canonical ledger CSV. Node reads the bytes on their way to COPY anyway, so
// it also splits each record the way PostgreSQL's CSV reader does and vouches for the rows that
// pass every row check (queries.ts LEDGER_CHECKS): those go straight into the typed month table,
// already in the form the staging insert would have given them (lower-case provider, tier and
// status, absent counts 0, empty text null). A record it cannot vouch for (a failed check, another
// month, an unusual spelling) is held back, with its line, for the text staging table and the SQL
// checks, which decide it exactly as before. Vouching is deliberately narrower than the checks: a
// held good row is still stored; only a row that fails a check is ever quarantined. (One order
// differs: a held good row repeating a vouched request of the same month, which takes a timestamp
// with 7-9 fraction digits or a non-ASCII tier, loses to the vouched one even if it came first.)

type LedgerColumn = (typeof LEDGER_COLUMNS)[number];

/** What the screen found; filled while the stream runs, read once it has ended. */
export interface ScreenOutcome {
  /** why the fast path was abandoned (the file goes through the staging table whole), or null */
  gaveUp: string | null;
  /** data records read (vouched + held) */
  records: number;
  vouched: number;
  /** vouched rows without a team */
  untagged: number;
  heldRecords: number;
  /** the vouched rows' provider when they all have the same one; null when several */
  provider: string | null | undefined;
  /** some vouched provider has non-ASCII characters: lower() in SQL must finish the job */
  providerNeedsLower: boolean;
  /** some vouched timestamp ends in an offset rather than Z (its UTC day may differ from its wall-clock day) */
  hasOffsets: boolean;
  /** wall-clock days (YYYYMMDD) and UTC days of the vouched rows */
  minLocalDay: number;
  maxLocalDay: number;
  minUtcDay: number;
  maxUtcDay: number;
}

export interface ScreenPlan {
  /** the file's header columns: a ledger column, or null for an ignored (unknown or repeated) one */
  columns: readonly (LedgerColumn | null)[];
  /** the UTC month whose rows go to the typed table, as year * 100 + month */
  month: number;
  /** takes a held record as a COPY CSV line: the record's line, then its fields as read */
  hold(record: Buffer): void;
}

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const ZERO = 0x30;
const NINE = 0x39;
const OUTPUT_CHUNK = 1024 * 1024;

const enum Kind {
  RequestId, // non-empty, at most MAX_REQUEST_ID_BYTES, stored as read
  Required, // response_model: non-empty, stored as read
  Provider, // non-empty, stored lower case
  Timestamp,
  RequiredCount,
  Count, // absent = 0
  Attempt,
  Tier,
  Status,
  HttpStatus,
  Cost,
  Text, // optional, empty = null
}

const KIND: Record<LedgerColumn, Kind> = {
  request_id: Kind.RequestId,
  timestamp: Kind.Timestamp,
  provider: Kind.Provider,
  response_model: Kind.Required,
  input_tokens: Kind.RequiredCount,
  output_tokens: Kind.RequiredCount,
  original_request_id: Kind.Text,
  attempt: Kind.Attempt,
  requested_model: Kind.Text,
  cache_read_input_tokens: Kind.Count,
  cache_write_5m_input_tokens: Kind.Count,
  cache_write_1h_input_tokens: Kind.Count,
  reasoning_output_tokens: Kind.Count,
  service_tier: Kind.Tier,
  status: Kind.Status,
  http_status: Kind.HttpStatus,
  team: Kind.Text,
  service: Kind.Text,
  cost_center: Kind.Text,
  tenant: Kind.Text,
  environment: Kind.Text,
  workflow: Kind.Text,
  user_id: Kind.Text,
  gateway_key_id: Kind.Text,
  region: Kind.Text,
  price_card_version: Kind.Text,
  gateway_cost_usd: Kind.Cost,
  provider_response_id: Kind.Text,
  trace_id: Kind.Text,
  conversation_id: Kind.Text,
};

const TIERS = SERVICE_TIERS.map((t) => Buffer.from(t));
const STATUSES = ['ok', 'error', 'partial'].map((t) => Buffer.from(t));
const DEFAULT_TIER = Buffer.from('standard');
const DEFAULT_STATUS = Buffer.from('ok');

export function newScreenOutcome(): ScreenOutcome {
  return {
    gaveUp: null, records: 0, vouched: 0, untagged: 0, heldRecords: 0, provider: undefined, providerNeedsLower: false, hasOffsets: false,
    minLocalDay: Infinity, maxLocalDay: -Infinity, minUtcDay: Infinity, maxUtcDay: -Infinity,
  };
}

/** The typed table's COPY columns, in the order the screen writes them. */
export function screenedColumns(plan: ScreenPlan): string[] {
  return ['source_line', ...plan.columns.filter((c): c is LedgerColumn => c !== null).map((c) => (c === 'timestamp' ? 'ts' : c))];
}

/**
 * The UTC month (year * 100 + month) most of the records the screen would vouch for in `head`
 * (the file's first bytes, header included) fall in (the earliest of equals), or null when there
 * is none.
 */
export function headMonth(head: Buffer, columns: readonly (LedgerColumn | null)[]): number | null {
  const reader = new RecordReader(columns);
  let pos = reader.read(head, 0, false);
  if (pos < 0 || reader.fieldCount !== columns.length) return null;
  const counts = new Map<number, number>();
  while (pos < head.length) {
    const end = reader.read(head, pos, false);
    if (end < 0 || reader.fieldCount !== columns.length) break;
    const row = reader.check(head);
    if (row.ok) {
      const month = Math.floor(row.utcDay / 100);
      counts.set(month, (counts.get(month) ?? 0) + 1);
    }
    pos = end;
  }
  let best: number | null = null;
  for (const [month, count] of counts) if (best === null || count > counts.get(best)! || (count === counts.get(best)! && month < best)) best = month;
  return best;
}

/**
 * Screens the file (after decompression) on its way to COPY: yields the vouched rows as CSV for
 * `screenedColumns(plan)` and fills `outcome`. When the file is not one the screen can read the
 * way COPY would (a record with another number of fields, bytes that are not UTF-8, a stray
 * carriage return) it stops early and sets `outcome.gaveUp`.
 */
export async function* screenLedgerCsv(input: AsyncIterable<Buffer | string>, plan: ScreenPlan, outcome: ScreenOutcome): AsyncGenerator<Buffer> {
  const columns = plan.columns;
  const width = columns.length;
  const reader = new RecordReader(columns);
  const teamIndex = columns.indexOf('team');
  const providerIndex = columns.indexOf('provider');
  let out = Buffer.allocUnsafe(OUTPUT_CHUNK);
  let at = 0;
  let carry: Buffer | null = null;
  let header = true;
  let line = 1;
  const providers: { first: Buffer | null; several: boolean } = { first: null, several: false };

  /** Screens the complete records of `buf`; returns where the incomplete rest begins. */
  function* screen(buf: Buffer, final: boolean): Generator<Buffer, number> {
    let pos = 0;
    if (header) {
      pos = reader.read(buf, 0, final);
      if (pos === -1) return 0;
      if (pos === -2 || reader.fieldCount !== width) {
        outcome.gaveUp = 'the header is not one COPY would read with these columns';
        return buf.length;
      }
      header = false;
    }
    while (pos < buf.length) {
      const end = reader.read(buf, pos, final);
      if (end === -1) break;
      if (end === -2) {
        outcome.gaveUp = reader.problem;
        return buf.length;
      }
      // the record's first line; a newline inside quotes puts the next record further down
      const recordLine = line + 1;
      line += 1 + reader.newlines;
      outcome.records += 1;
      if (reader.fieldCount !== width) {
        outcome.gaveUp = 'a record has another number of fields than the header';
        return buf.length;
      }
      const row = reader.check(buf);
      if (row.ok && Math.floor(row.utcDay / 100) === plan.month) {
        if (at + (end - pos) * 2 + 64 > out.length) {
          if (at > 0) yield out.subarray(0, at);
          out = Buffer.allocUnsafe(Math.max(OUTPUT_CHUNK, (end - pos) * 2 + 64));
          at = 0;
        }
        at = reader.write(buf, pos, recordLine, out, at);
        outcome.vouched += 1;
        if (teamIndex < 0 || reader.isEmpty(buf, teamIndex)) outcome.untagged += 1;
        if (row.nonAsciiProvider) outcome.providerNeedsLower = true;
        if (!row.zulu) outcome.hasOffsets = true;
        if (!providers.several) {
          if (providers.first === null) providers.first = reader.lowerValue(buf, providerIndex);
          else if (!reader.sameLower(buf, providerIndex, providers.first)) providers.several = true;
        }
        if (row.localDay < outcome.minLocalDay) outcome.minLocalDay = row.localDay;
        if (row.localDay > outcome.maxLocalDay) outcome.maxLocalDay = row.localDay;
        if (row.utcDay < outcome.minUtcDay) outcome.minUtcDay = row.utcDay;
        if (row.utcDay > outcome.maxUtcDay) outcome.maxUtcDay = row.utcDay;
      } else {
        const raw = buf.subarray(pos, reader.contentEnd);
        const held = Buffer.allocUnsafe(raw.length + 22);
        let n = held.write(String(recordLine), 'latin1');
        held[n++] = COMMA;
        n += raw.copy(held, n);
        held[n++] = LF;
        plan.hold(held.subarray(0, n));
        outcome.heldRecords += 1;
      }
      pos = end;
    }
    return pos;
  }

  for await (const part of input) {
    const chunk = typeof part === 'string' ? Buffer.from(part) : part;
    const buf: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
    // COPY refuses bytes that are not UTF-8 and NUL bytes; such a file is staged whole. Up to the
    // last newline no character is cut in two.
    if (!isUtf8Clean(buf.subarray(0, buf.lastIndexOf(LF) + 1))) outcome.gaveUp = 'bytes that are not UTF-8 (or a NUL byte)';
    if (outcome.gaveUp) break;
    const rest = yield* screen(buf, false);
    if (outcome.gaveUp) break;
    carry = rest < buf.length ? Buffer.from(buf.subarray(rest)) : null;
  }
  if (!outcome.gaveUp && carry) {
    if (!isUtf8Clean(carry)) outcome.gaveUp = 'bytes that are not UTF-8 (or a NUL byte)';
    else yield* screen(carry, true);
  }
  if (!outcome.gaveUp && header) outcome.gaveUp = 'the file has no complete header';
  if (at > 0 && !outcome.gaveUp) yield out.subarray(0, at);
  outcome.provider = providers.several ? null : providers.first?.toString('utf8');
}

function isUtf8Clean(bytes: Buffer): boolean {
  return bytes.indexOf(0) < 0 && isUtf8(bytes);
}

interface RowCheck {
  ok: boolean;
  /** minutes east of UTC of the timestamp (0 for Z) */
  offsetMinutes: number;
  /** the timestamp ends in Z (not an offset, not even +00:00) */
  zulu: boolean;
  nonAsciiProvider: boolean;
  /** the timestamp's wall-clock and UTC day, YYYYMMDD */
  localDay: number;
  utcDay: number;
  /** the record can be copied as read: no ignored column, nothing the insert would change */
  verbatim: boolean;
}

/**
 * Splits one CSV record the way PostgreSQL's COPY (format csv) does: a quote anywhere in a field
 * opens quoting, a doubled quote inside quotes is one quote, a newline inside quotes is data, an
 * unquoted empty field is NULL, every record ends with the header's line end. Field boundaries
 * are kept as offsets into the buffer.
 */
class RecordReader {
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly quoted: Uint8Array;
  fieldCount = 0;
  /** end of the record's content (before its line end) */
  contentEnd = 0;
  problem = '';
  /** newlines inside quotes in the record just read (it spans that many more lines) */
  newlines = 0;
  private readonly kinds: Int8Array;
  private readonly result: RowCheck = { ok: false, offsetMinutes: 0, zulu: true, nonAsciiProvider: false, localDay: 0, utcDay: 0, verbatim: false };
  /** the header has columns the typed table does not take */
  private readonly ignored: boolean;
  private scratch = Buffer.allocUnsafe(256);
  /** where output and reasoning counts are (-1: no such column), for the reasoning check */
  private readonly outputIndex: number;
  private readonly reasoningIndex: number;

  constructor(private readonly columns: readonly (LedgerColumn | null)[]) {
    const width = columns.length;
    this.outputIndex = columns.indexOf('output_tokens');
    this.reasoningIndex = columns.indexOf('reasoning_output_tokens');
    this.starts = new Int32Array(width);
    this.ends = new Int32Array(width);
    this.quoted = new Uint8Array(width);
    this.kinds = Int8Array.from(columns, (c) => (c === null ? -1 : KIND[c]));
    this.ignored = columns.includes(null);
  }

  /**
   * Reads the record at `pos`: returns the offset after its line end, -1 when the record is not
   * complete in `buf` (unless `final`), -2 when COPY would refuse it (`problem` says why).
   */
  read(buf: Buffer, pos: number, final: boolean): number {
    const n = buf.length;
    let field = 0;
    let start = pos;
    let quoted = 0;
    let i = pos;
    this.newlines = 0;
    for (;;) {
      if (i >= n) {
        if (!final || i === pos) return -1;
        this.endField(field, start, i, quoted);
        return this.endRecord(i, n);
      }
      const c = buf[i]!;
      if (c === COMMA) {
        this.endField(field, start, i, quoted);
        field += 1;
        start = i + 1;
        quoted = 0;
        i += 1;
      } else if (c === QUOTE) {
        quoted = 1;
        i += 1;
        for (;;) {
          if (i >= n) {
            if (!final) return -1;
            this.problem = 'the file ends inside a quoted field';
            return -2;
          }
          if (buf[i] === LF) this.newlines += 1;
          else if (buf[i] === QUOTE) {
            if (i + 1 >= n && !final) return -1;
            if (buf[i + 1] === QUOTE) {
              i += 2;
              continue;
            }
            i += 1;
            break;
          }
          i += 1;
        }
      } else if (c === LF) {
        // Each record may end with LF or CRLF, whatever the others use: what the screen writes
        // for COPY always ends with LF.
        this.endField(field, start, i, quoted);
        return this.endRecord(i, i + 1);
      } else if (c === CR) {
        if (i + 1 >= n && !final) return -1;
        if (buf[i + 1] !== LF) {
          this.problem = 'a carriage return outside quotes';
          return -2;
        }
        this.endField(field, start, i, quoted);
        return this.endRecord(i, i + 2);
      } else {
        i += 1;
      }
    }
  }

  private endField(field: number, start: number, end: number, quoted: number): void {
    this.fieldCount = field + 1;
    if (field >= this.starts.length) return;
    this.starts[field] = start;
    this.ends[field] = end;
    this.quoted[field] = quoted;
  }

  private endRecord(contentEnd: number, next: number): number {
    this.contentEnd = contentEnd;
    return next;
  }

  /** Empty or null: what the staging insert's nullif stores as null. */
  isEmpty(buf: Buffer, index: number): boolean {
    return this.starts[index] === this.ends[index] || (this.quoted[index] === 1 && this.unquote(buf, index) === 0);
  }

  /** Undoes the quoting of a quoted field into `scratch`; returns the value's length. */
  unquote(buf: Buffer, index: number): number {
    const start = this.starts[index]!;
    const end = this.ends[index]!;
    if (this.scratch.length < end - start) this.scratch = Buffer.allocUnsafe(end - start);
    const scratch = this.scratch;
    let n = 0;
    let inQuotes = false;
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c === QUOTE) {
        if (inQuotes && i + 1 < end && buf[i + 1] === QUOTE) {
          scratch[n++] = QUOTE;
          i += 1;
        } else inQuotes = !inQuotes;
      } else scratch[n++] = c;
    }
    return n;
  }

  /** The value, ASCII letters in lower case, as a fresh buffer. */
  lowerValue(buf: Buffer, index: number): Buffer {
    let value: Buffer;
    if (this.quoted[index] === 1) value = Buffer.from(this.scratch.subarray(0, this.unquote(buf, index)));
    else value = Buffer.from(buf.subarray(this.starts[index]!, this.ends[index]!));
    for (let i = 0; i < value.length; i++) {
      const c = value[i]!;
      if (c >= 0x41 && c <= 0x5a) value[i] = c + 32;
    }
    return value;
  }

  /** lower(value) equals `lower` (ASCII letters), without a copy. */
  sameLower(buf: Buffer, index: number, lower: Buffer): boolean {
    let b = buf;
    let s = this.starts[index]!;
    let e = this.ends[index]!;
    if (this.quoted[index] === 1) {
      b = this.scratch;
      s = 0;
      e = this.unquote(buf, index);
    }
    if (e - s !== lower.length) return false;
    for (let i = 0; i < lower.length; i++) {
      const c = b[s + i]!;
      if ((c >= 0x41 && c <= 0x5a ? c + 32 : c) !== lower[i]) return false;
    }
    return true;
  }

  /**
   * Every row check of LEDGER_CHECKS on the record just read; `ok` only if all pass. Also notes
   * whether the record can be written as read (`verbatim`).
   */
  check(buf: Buffer): RowCheck {
    const result = this.result;
    result.ok = false;
    result.offsetMinutes = 0;
    result.nonAsciiProvider = false;
    let verbatim = !this.ignored;
    const kinds = this.kinds;
    for (let f = 0; f < kinds.length; f++) {
      const kind = kinds[f]!;
      if (kind < 0) continue;
      let b = buf;
      let s = this.starts[f]!;
      let e = this.ends[f]!;
      const sqlNull = s === e; // unquoted empty
      if (this.quoted[f] === 1) {
        b = this.scratch;
        e = this.unquote(buf, f);
        s = 0;
        verbatim = false;
      }
      switch (kind) {
        case Kind.RequestId:
          if (e === s || e - s > MAX_REQUEST_ID_BYTES) return result;
          break;
        case Kind.Required:
          if (e === s) return result;
          break;
        case Kind.Provider:
          if (e === s) return result;
          for (let i = s; i < e; i++) {
            const c = b[i]!;
            if (c >= 0x80) result.nonAsciiProvider = true;
            else if (c >= 0x41 && c <= 0x5a) verbatim = false;
          }
          break;
        case Kind.Timestamp: {
          const offset = timestampOffset(b, s, e);
          if (offset === null) return result;
          result.offsetMinutes = offset;
          result.zulu = b[e - 1] === 0x5a || b[e - 1] === 0x7a;
          result.localDay = localDay(b, s);
          result.utcDay = offset === 0 ? result.localDay : utcDay(b, s, offset);
          break;
        }
        case Kind.RequiredCount:
          if (e === s || !digits(b, s, e, 15)) return result;
          break;
        case Kind.Count:
          if (!digits(b, s, e, 15)) return result;
          if (sqlNull) verbatim = false;
          break;
        case Kind.Attempt:
          if (!digits(b, s, e, 9)) return result;
          break;
        case Kind.Tier:
          if (sqlNull) verbatim = false;
          else if (!oneOf(b, s, e, TIERS)) return result;
          else if (!isLower(b, s, e)) verbatim = false;
          break;
        case Kind.Status:
          if (sqlNull) verbatim = false;
          else if (!oneOf(b, s, e, STATUSES)) return result;
          else if (!isLower(b, s, e)) verbatim = false;
          break;
        case Kind.HttpStatus:
          if (!sqlNull && !(e - s === 3 && digits(b, s, e, 3))) return result;
          break;
        case Kind.Cost:
          if (!sqlNull && !plainDecimal(b, s, e)) return result;
          break;
        case Kind.Text:
          break;
      }
    }
    // reasoning is part of output: more reasoning than output is the SQL check's to quarantine
    if (this.reasoningIndex >= 0 && this.outputIndex >= 0 && this.countAbove(buf, this.reasoningIndex, this.outputIndex)) return result;
    result.ok = true;
    result.verbatim = verbatim;
    return result;
  }

  /**
   * The count in field `a` is larger than the one in field `b`, both checked digits (a quoted one
   * holds only digits and quotes, which are skipped). An empty field counts as 0.
   */
  private countAbove(buf: Buffer, a: number, b: number): boolean {
    let as = this.starts[a]!;
    const ae = this.ends[a]!;
    let bs = this.starts[b]!;
    const be = this.ends[b]!;
    const skip = (s: number, e: number) => {
      while (s < e && (buf[s] === QUOTE || buf[s] === ZERO)) s += 1;
      return s;
    };
    const digitCount = (s: number, e: number) => {
      let n = 0;
      for (let i = s; i < e; i++) if (buf[i] !== QUOTE) n += 1;
      return n;
    };
    as = skip(as, ae);
    bs = skip(bs, be);
    const al = digitCount(as, ae);
    const bl = digitCount(bs, be);
    if (al !== bl) return al > bl;
    for (;;) {
      while (as < ae && buf[as] === QUOTE) as += 1;
      while (bs < be && buf[bs] === QUOTE) bs += 1;
      if (as >= ae || bs >= be) return false;
      if (buf[as] !== buf[bs]) return buf[as]! > buf[bs]!;
      as += 1;
      bs += 1;
    }
  }

  /**
   * Writes the vouched record for COPY into the typed table: its line, then each ledger column in
   * the form the staging insert gives it (lower case, absent count 0, empty text null). Most
   * records need no change and are copied whole.
   */
  write(buf: Buffer, recordStart: number, line: number, out: Buffer, at: number): number {
    at = writeNumber(line, out, at);
    out[at++] = COMMA;
    if (this.result.verbatim) {
      at += buf.copy(out, at, recordStart, this.contentEnd);
      out[at++] = LF;
      return at;
    }
    const kinds = this.kinds;
    let first = true;
    for (let f = 0; f < kinds.length; f++) {
      const kind = kinds[f]!;
      if (kind < 0) continue;
      if (!first) out[at++] = COMMA;
      first = false;
      const start = this.starts[f]!;
      const end = this.ends[f]!;
      const quoted = this.quoted[f] === 1;
      switch (kind) {
        case Kind.RequestId:
        case Kind.Required:
        case Kind.Text:
          // as read (quoting and all) unless quoting makes it empty, which the insert stores as null
          if (!quoted || this.unquote(buf, f) > 0) at += buf.copy(out, at, start, end);
          break;
        case Kind.Provider:
          at = writeQuoted(this.lowerValue(buf, f), out, at);
          break;
        case Kind.Timestamp:
        case Kind.RequiredCount:
        case Kind.Attempt:
        case Kind.HttpStatus:
        case Kind.Cost:
          // checked: digits and punctuation only, nothing to quote
          if (quoted) at += this.scratch.copy(out, at, 0, this.unquote(buf, f));
          else at += buf.copy(out, at, start, end);
          break;
        case Kind.Count:
          if (start === end || (quoted && this.unquote(buf, f) === 0)) out[at++] = ZERO;
          else if (quoted) at += this.scratch.copy(out, at, 0, this.unquote(buf, f));
          else at += buf.copy(out, at, start, end);
          break;
        case Kind.Tier:
          at += (start === end ? DEFAULT_TIER : this.lowerValue(buf, f)).copy(out, at);
          break;
        case Kind.Status:
          at += (start === end ? DEFAULT_STATUS : this.lowerValue(buf, f)).copy(out, at);
          break;
      }
    }
    out[at++] = LF;
    return at;
  }
}

function writeNumber(value: number, out: Buffer, at: number): number {
  let digitsNeeded = 1;
  for (let v = value; v >= 10; v = Math.floor(v / 10)) digitsNeeded += 1;
  let v = value;
  for (let i = at + digitsNeeded - 1; i >= at; i--) {
    out[i] = ZERO + (v % 10);
    v = Math.floor(v / 10);
  }
  return at + digitsNeeded;
}

function writeQuoted(value: Buffer, out: Buffer, at: number): number {
  out[at++] = QUOTE;
  for (let i = 0; i < value.length; i++) {
    if (value[i] === QUOTE) out[at++] = QUOTE;
    out[at++] = value[i]!;
  }
  out[at++] = QUOTE;
  return at;
}

/** DIGITS(column, max) of the SQL checks: only digits, at most `max` of them (empty passes). */
function digits(b: Buffer, s: number, e: number, max: number): boolean {
  if (e - s > max) return false;
  for (let i = s; i < e; i++) {
    const c = b[i]!;
    if (c < ZERO || c > NINE) return false;
  }
  return true;
}

function isLower(b: Buffer, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (b[i]! >= 0x41 && b[i]! <= 0x5a) return false;
  return true;
}

/** lower(value) in the list, for ASCII values (anything else is left to SQL). */
function oneOf(b: Buffer, s: number, e: number, list: readonly Buffer[]): boolean {
  for (const candidate of list) {
    if (candidate.length !== e - s) continue;
    let same = true;
    for (let i = 0; i < candidate.length && same; i++) {
      const c = b[s + i]!;
      same = (c >= 0x41 && c <= 0x5a ? c + 32 : c) === candidate[i];
    }
    if (same) return true;
  }
  return false;
}

/** The gateway_cost_usd check: digits, a minus only in front, at most one dot, some digit, at most 40 characters. */
function plainDecimal(b: Buffer, s: number, e: number): boolean {
  if (e - s > 40) return false;
  let dots = 0;
  let digitsSeen = 0;
  for (let i = s; i < e; i++) {
    const c = b[i]!;
    if (c >= ZERO && c <= NINE) digitsSeen += 1;
    else if (c === 0x2e) dots += 1;
    else if (!(c === 0x2d && i === s)) return false;
  }
  return dots <= 1 && digitsSeen > 0;
}

const isDigit = (c: number | undefined) => c !== undefined && c >= ZERO && c <= NINE;
const two = (b: Buffer, i: number) => (b[i]! - ZERO) * 10 + (b[i + 1]! - ZERO);

/**
 * The timestamp checks of LEDGER_CHECKS: minutes east of UTC when the value passes them all, else
 * null. Offsets beyond what PostgreSQL accepts (±15:59) are left to SQL, as are fractions of more
 * than six digits (rounding could carry into the next month).
 */
function timestampOffset(b: Buffer, s: number, e: number): number | null {
  const len = e - s;
  if (len < 20) return null;
  if (b[s] !== 0x32 || b[s + 1] !== ZERO || b[s + 4] !== 0x2d || b[s + 7] !== 0x2d || b[s + 13] !== 0x3a || b[s + 16] !== 0x3a) return null;
  const sep = b[s + 10];
  if (sep !== 0x54 && sep !== 0x20 && sep !== 0x74) return null;
  if (!isDigit(b[s + 2]) || !isDigit(b[s + 3]) || !isDigit(b[s + 5]) || !isDigit(b[s + 6]) || !isDigit(b[s + 8]) || !isDigit(b[s + 9])) return null;
  if (!isDigit(b[s + 11]) || !isDigit(b[s + 12]) || !isDigit(b[s + 14]) || !isDigit(b[s + 15]) || !isDigit(b[s + 17]) || !isDigit(b[s + 18])) return null;
  const year = 2000 + two(b, s + 2);
  const month = two(b, s + 5);
  const day = two(b, s + 8);
  if (month < 1 || month > 12 || day < 1 || two(b, s + 11) > 23 || two(b, s + 14) > 59 || two(b, s + 17) > 59) return null;
  if (day > daysInMonth(year, month)) return null;
  const last = b[e - 1];
  let zone: number; // where the zone begins, after any fraction
  let offset = 0;
  if (last === 0x5a || last === 0x7a) {
    zone = e - 1;
  } else {
    const sign = b[e - 6];
    if ((sign !== 0x2b && sign !== 0x2d) || b[e - 3] !== 0x3a || !isDigit(b[e - 5]) || !isDigit(b[e - 4]) || !isDigit(b[e - 2]) || !isDigit(b[e - 1])) return null;
    const hours = two(b, e - 5);
    const minutes = two(b, e - 2);
    if (hours > 15 || minutes > 59) return null;
    offset = (sign === 0x2d ? -1 : 1) * (hours * 60 + minutes);
    zone = e - 6;
  }
  if (zone === s + 19) return offset;
  // a fraction: '.', then 1 to 6 digits (the SQL check allows 9; those are left to SQL)
  if (b[s + 19] !== 0x2e || zone - (s + 20) < 1 || zone - (s + 20) > 6) return null;
  for (let i = s + 20; i < zone; i++) if (!isDigit(b[i])) return null;
  return offset;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function localDay(b: Buffer, s: number): number {
  return (2000 + two(b, s + 2)) * 10000 + two(b, s + 5) * 100 + two(b, s + 8);
}

/** The UTC day (YYYYMMDD) of a checked timestamp with a non-zero offset. */
function utcDay(b: Buffer, s: number, offsetMinutes: number): number {
  const local = Date.UTC(2000 + two(b, s + 2), two(b, s + 5) - 1, two(b, s + 8), two(b, s + 11), two(b, s + 14), two(b, s + 17));
  const utc = new Date(local - offsetMinutes * 60_000);
  return utc.getUTCFullYear() * 10000 + (utc.getUTCMonth() + 1) * 100 + utc.getUTCDate();
}

/** YYYYMMDD as YYYY-MM-DD. */
export function dayText(day: number): string {
  const text = String(day);
  return `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}`;
}
