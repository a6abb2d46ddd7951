import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { generateLedger } from '../generate-ledger.ts';
import { LEDGER_COLUMNS } from '../../src/ingest/format.ts';
import type { PlantedCauses } from './inputs.ts';

const STATUS = LEDGER_COLUMNS.indexOf('status');
const OUTPUT = LEDGER_COLUMNS.indexOf('output_tokens');
const REASONING = LEDGER_COLUMNS.indexOf('reasoning_output_tokens');

export interface LedgerFiles {
  /** what the gateway logged: the file recon ingests */
  ledger: string;
  /** original lines of what the provider billed but the ledger lacks or under-reports (gap rows, full partial streams) */
  billedOnly: string;
  records: number;
  bytes: number;
  gapRecords: number;
  partialRecords: number;
}

/**
 * Generates the month with bench/generate-ledger.ts through a FIFO and plants two ledger-side
 * causes on the way to disk, in one streaming pass (constant memory): records inside the gap
 * window are left out of the ledger, and a share of successful records become partial streams
 * that logged only part of their output. The untouched originals go to `billedOnly`, so the
 * invoice can bill what really happened.
 */
export async function writeLedgerFiles(dir: string, options: { requests: number; seed: number; period: string; planted: PlantedCauses }): Promise<LedgerFiles> {
  const fifo = path.join(dir, 'generator.fifo');
  fs.rmSync(fifo, { force: true });
  execFileSync('mkfifo', [fifo]);
  const ledger = path.join(dir, `ledger-${options.period}.csv`);
  const billedOnly = path.join(dir, 'billed-only.csv');
  const { gap, partial } = options.planted;
  const gapHours = new Set<string>();
  if (gap) for (let h = gap.fromHour; h < gap.toHour; h++) gapHours.add(`${options.period}-${String(gap.day).padStart(2, '0')}T${String(h).padStart(2, '0')}`);

  const out = fs.createWriteStream(ledger, { highWaterMark: 1 << 20 });
  const side = fs.createWriteStream(billedOnly, { highWaterMark: 1 << 20 });
  const generating = generateLedger({ requests: options.requests, out: fifo, seed: options.seed, period: options.period });
  let records = 0;
  let bytes = 0;
  let gapRecords = 0;
  let partialRecords = 0;
  let providerSeen = 0;
  let rest = '';
  let header = true;
  for await (const chunk of fs.createReadStream(fifo, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = rest + (chunk as string);
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    const kept: string[] = [];
    const billed: string[] = [];
    for (const line of lines) {
      if (header) {
        header = false;
        kept.push(line);
        continue;
      }
      const first = line.indexOf(',');
      const second = line.indexOf(',', first + 1);
      if (gapHours.has(line.slice(first + 1, first + 14))) {
        billed.push(line);
        gapRecords++;
        continue;
      }
      const third = line.indexOf(',', second + 1);
      if (partial && line.slice(second + 1, third) === partial.provider && ++providerSeen % partial.every === 0) {
        const fields = line.split(',');
        if (fields[STATUS] === 'ok') {
          billed.push(line);
          const logged = Math.floor(Number(fields[OUTPUT]) / partial.divisor);
          fields[OUTPUT] = String(logged);
          fields[REASONING] = String(Math.min(Number(fields[REASONING]), logged));
          fields[STATUS] = 'partial';
          kept.push(fields.join(','));
          partialRecords++;
          records++;
          continue;
        }
      }
      kept.push(line);
      records++;
    }
    const body = kept.length > 0 ? kept.join('\n') + '\n' : '';
    bytes += Buffer.byteLength(body);
    if (!out.write(body)) await once(out, 'drain');
    if (billed.length > 0 && !side.write(billed.join('\n') + '\n')) await once(side, 'drain');
  }
  if (rest !== '') throw new Error('the ledger generator ended without a final newline');
  await generating;
  out.end();
  side.end();
  await Promise.all([once(out, 'finish'), once(side, 'finish')]);
  fs.rmSync(fifo, { force: true });
  return { ledger, billedOnly, records, bytes, gapRecords, partialRecords };
}
