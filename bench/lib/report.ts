import type { Sample, StageInterval } from './process.ts';
import { SAMPLE_MS } from './process.ts';

// The benchmark's table and verdicts, as pure functions over the measured figures.

export const TARGETS = {
  /** files to workbooks for the whole month */
  monthSeconds: 60,
  /** a rerun of a loaded month, no new input */
  rerunSeconds: 15,
  /** every recon process, at any N */
  peakRssMb: 300,
} as const;

export interface BusyStatement {
  statement: string;
  seconds: number;
}

export interface StageRow {
  stage: string;
  seconds: number;
  /** what records/s counts: ledger records, invoice lines */
  records: number | null;
  /** the recon process this stage ran in (peak RSS is per process) */
  process: string;
  peakRssMb: number | null;
  floor: 'copy' | 'pricing' | null;
  /** the statements the database was busy with during this stage */
  busy: BusyStatement[];
  /** 'ok', or why the stage has no complete figure ('failed: ...', 'timed out after N s') */
  outcome: string;
}

export interface Floors {
  copySeconds: number;
  pricingSeconds: number;
}

export interface TargetVerdict {
  target: string;
  limit: string;
  measured: string;
  met: boolean;
  why: string | null;
}

/** Seconds each statement was seen running within [from, to) (all samples without bounds). */
export function busyStatements(samples: Sample[], from = -Infinity, to = Infinity, top = 3): BusyStatement[] {
  const seen = new Map<string, number>();
  for (const s of samples) if (s.at >= from && s.at < to) seen.set(s.statement, (seen.get(s.statement) ?? 0) + SAMPLE_MS / 1000);
  return [...seen.entries()]
    .map(([statement, seconds]) => ({ statement, seconds: Math.round(seconds * 100) / 100 }))
    .sort((a, b) => b.seconds - a.seconds || a.statement.localeCompare(b.statement))
    .slice(0, top);
}

/**
 * The rows of one `recon run` process: its logged stages (variance and causes merged, as the
 * table reports them), and what the process spent outside them (start-up, migrations check,
 * input and result hashes, summary, commit).
 */
export function runStageRows(input: {
  process: string;
  processSeconds: number;
  peakRssMb: number | null;
  records: number;
  stages: StageInterval[];
  samples: Sample[];
  outcome: string;
}): StageRow[] {
  const groups: { stage: string; from: string[]; floor: StageRow['floor'] }[] = [
    { stage: 'price', from: ['price'], floor: 'pricing' },
    { stage: 'variance and causes', from: ['variance', 'causes'], floor: 'pricing' },
    { stage: 'allocation', from: ['allocation'], floor: null },
    { stage: 'showback', from: ['showback'], floor: null },
  ];
  const rows: StageRow[] = [];
  let inStages = 0;
  for (const g of groups) {
    const parts = input.stages.filter((s) => g.from.includes(s.stage));
    if (parts.length === 0) continue;
    const seconds = parts.reduce((sum, p) => sum + p.seconds, 0);
    inStages += seconds;
    const from = Math.min(...parts.map((p) => p.end - p.seconds * 1000));
    const to = Math.max(...parts.map((p) => p.end));
    rows.push({
      stage: g.stage,
      seconds,
      records: input.records,
      process: input.process,
      peakRssMb: input.peakRssMb,
      floor: g.floor,
      busy: Number.isFinite(from) && Number.isFinite(to) ? busyStatements(input.samples, from, to) : [],
      outcome: 'ok',
    });
  }
  const first = input.stages.length > 0 ? Math.min(...input.stages.map((s) => s.end - s.seconds * 1000)) : Infinity;
  const last = input.stages.length > 0 ? Math.max(...input.stages.map((s) => s.end)) : -Infinity;
  const seen = new Set(input.stages.map((s) => s.stage));
  const unfinished = input.outcome === 'ok' ? null : ['price', 'variance', 'causes', 'allocation', 'showback'].find((s) => !seen.has(s));
  rows.push({
    stage: unfinished ? `${unfinished} (did not finish) and the rest of the run` : 'run start-up, hashes, summary, commit',
    outcome: input.outcome,
    seconds: Math.max(0, input.processSeconds - inStages),
    records: null,
    process: input.process,
    peakRssMb: input.peakRssMb,
    floor: null,
    busy: busyStatements(input.samples.filter((s) => s.at < first || s.at >= last)),
  });
  return rows;
}

export function ratio(row: Pick<StageRow, 'seconds' | 'floor'>, floors: Floors): number | null {
  if (row.floor === null) return null;
  const floor = row.floor === 'copy' ? floors.copySeconds : floors.pricingSeconds;
  return floor > 0 ? row.seconds / floor : null;
}

const fmtSeconds = (s: number) => s.toFixed(2);
const fmtRate = (records: number | null, seconds: number) => (records === null || seconds <= 0 ? '' : Math.round(records / seconds).toLocaleString('en-US'));

function explain(rows: StageRow[], floors: Floors, limit: number, measured: number): string {
  const broken = rows.filter((r) => r.outcome !== 'ok');
  const brokenText = broken.map((r) => `${r.stage} ${r.outcome}${r.busy[0] ? ` while busy with: ${r.busy[0].statement.slice(0, 100)}` : ''}`).join(' | ');
  const sorted = [...rows].sort((a, b) => b.seconds - a.seconds).slice(0, 3);
  const parts = sorted.map((r) => {
    const x = ratio(r, floors);
    const versus = x === null ? '' : ` = ${x.toFixed(1)}x its floor (${fmtSeconds(r.floor === 'copy' ? floors.copySeconds : floors.pricingSeconds)} s, ${r.floor === 'copy' ? 'bare COPY' : 'bare pricing aggregate'})`;
    const top = r.busy[0];
    const inSql = top ? `; busiest statement ${top.seconds.toFixed(1)} s: ${top.statement.slice(0, 100)}` : '';
    return `${r.stage} ${fmtSeconds(r.seconds)} s${versus}${inSql}`;
  });
  const over = measured > limit ? `${fmtSeconds(measured)} s is ${fmtSeconds(measured - limit)} s over; largest stages: ${parts.join(' | ')}` : '';
  return [brokenText ? `incomplete: ${brokenText}` : '', over].filter((t) => t !== '').join('; ');
}

export function verdicts(input: {
  month: StageRow[];
  rerun: StageRow[];
  floors: Floors;
  processes: { name: string; peakRssMb: number | null }[];
  /** the same processes' peak RSS in earlier results at other N, for the flat-in-N check */
  earlier: { requests: number; processes: { name: string; peakRssMb: number | null }[] }[];
}): TargetVerdict[] {
  const monthSeconds = input.month.reduce((s, r) => s + r.seconds, 0);
  const rerunSeconds = input.rerun.reduce((s, r) => s + r.seconds, 0);
  const out: TargetVerdict[] = [];
  const timeTarget = (target: string, rows: StageRow[], limit: number, measured: number): TargetVerdict => {
    const met = measured <= limit && rows.every((r) => r.outcome === 'ok');
    return { target, limit: `<= ${limit} s`, measured: `${fmtSeconds(measured)} s${met || rows.every((r) => r.outcome === 'ok') ? '' : ' (incomplete)'}`, met, why: met ? null : explain(rows, input.floors, limit, measured) };
  };
  out.push(timeTarget('whole month, files to workbooks', input.month, TARGETS.monthSeconds, monthSeconds));
  out.push(timeTarget('rerun of the loaded month', input.rerun, TARGETS.rerunSeconds, rerunSeconds));
  const measuredRss = input.processes.filter((p) => p.peakRssMb !== null);
  const peak = measuredRss.reduce((m, p) => Math.max(m, p.peakRssMb!), 0);
  const over = measuredRss.filter((p) => p.peakRssMb! >= TARGETS.peakRssMb);
  out.push({
    target: 'peak RSS of every recon process',
    limit: `< ${TARGETS.peakRssMb} MB`,
    measured: measuredRss.length === 0 ? 'not measured' : `${peak} MB (${measuredRss.map((p) => `${p.name} ${p.peakRssMb}`).join(', ')})`,
    met: measuredRss.length > 0 && over.length === 0,
    why: over.length === 0 ? (measuredRss.length === 0 ? 'no RSS reading' : null) : `over the limit: ${over.map((p) => `${p.name} ${p.peakRssMb} MB`).join(', ')}`,
  });
  const growth: string[] = [];
  for (const e of input.earlier) {
    for (const p of input.processes) {
      const before = e.processes.find((q) => q.name === p.name)?.peakRssMb;
      if (before === undefined || before === null || p.peakRssMb === null) continue;
      growth.push(`${p.name} ${before} MB at ${e.requests.toLocaleString('en-US')} -> ${p.peakRssMb} MB`);
    }
  }
  // flat: no process grows by more than a third (plus 30 MB of noise) between the two sizes
  const notFlat = input.earlier.flatMap((e) =>
    input.processes.filter((p) => {
      const before = e.processes.find((q) => q.name === p.name)?.peakRssMb;
      return before != null && p.peakRssMb !== null && p.peakRssMb > before * 1.33 + 30;
    }).map((p) => p.name),
  );
  out.push({
    target: 'peak RSS flat in N',
    limit: 'no process grows with N',
    measured: growth.length === 0 ? 'no earlier result at another N in bench/results' : growth.join('; '),
    met: growth.length > 0 && notFlat.length === 0,
    why: growth.length === 0 ? 'run at a second N to compare' : notFlat.length > 0 ? `grows with N: ${[...new Set(notFlat)].join(', ')}` : null,
  });
  return out;
}

export function formatTable(input: { month: StageRow[]; rerun: StageRow[]; floors: Floors & { copyRecords: number; pricingRecords: number }; verdicts: TargetVerdict[] }): string {
  const header = ['stage', 'seconds', 'records/s', 'peak RSS MB', 'x floor'];
  const line = (r: StageRow) => {
    const x = ratio(r, input.floors);
    return [r.outcome === 'ok' ? r.stage : `${r.stage} [${r.outcome.slice(0, 40)}]`, fmtSeconds(r.seconds), fmtRate(r.records, r.seconds), r.peakRssMb === null ? '' : String(r.peakRssMb), x === null ? '' : x.toFixed(1)];
  };
  const monthTotal = input.month.reduce((s, r) => s + r.seconds, 0);
  const rerunTotal = input.rerun.reduce((s, r) => s + r.seconds, 0);
  const maxRss = (rows: StageRow[]) => String(rows.reduce((m, r) => Math.max(m, r.peakRssMb ?? 0), 0));
  const rows: string[][] = [
    ...input.month.map(line),
    ['TOTAL month (files to workbooks)', fmtSeconds(monthTotal), fmtRate(input.floors.copyRecords, monthTotal), maxRss(input.month), ''],
    ...input.rerun.map((r) => line({ ...r, stage: `rerun: ${r.stage}` })),
    ['TOTAL rerun (no new input)', fmtSeconds(rerunTotal), fmtRate(input.floors.copyRecords, rerunTotal), maxRss(input.rerun), ''],
    ['floor: psql \\copy ledger into a bare table', fmtSeconds(input.floors.copySeconds), fmtRate(input.floors.copyRecords, input.floors.copySeconds), '', '1.0'],
    ['floor: bare effective-dated pricing aggregate', fmtSeconds(input.floors.pricingSeconds), fmtRate(input.floors.pricingRecords, input.floors.pricingSeconds), '', '1.0'],
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const render = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [render(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(render), ''];
  for (const v of input.verdicts) {
    out.push(`${v.met ? 'MET   ' : 'MISSED'} ${v.target} ${v.limit}: ${v.measured}${v.why ? `\n       why: ${v.why}` : ''}`);
  }
  return out.join('\n') + '\n';
}
