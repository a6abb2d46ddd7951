import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import type pg from 'pg';

// Runs one process and measures it: wall seconds, peak resident memory (VmHWM), and, when given a
// database to watch, which SQL statements its session was busy with (sampled from
// pg_stat_activity), so a slow stage is explained by measurement rather than guesswork.

export interface Timed {
  code: number;
  /** killed after the time limit */
  timedOut: boolean;
  seconds: number;
  /** peak resident set size of the process in MB (GNU time %M, else the last VmHWM read from /proc) */
  peakRssMb: number | null;
  stdout: string;
  stderr: string;
  /** the statements (first 160 characters, whitespace collapsed) its sessions were running, sampled every SAMPLE_MS */
  samples: Sample[];
}

const GNU_TIME = '/usr/bin/time';
export const SAMPLE_MS = 250;

export interface Sample {
  /** epoch ms */
  at: number;
  statement: string;
}
const KEEP = 4 << 20;

function readHwmKb(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

export async function runTimed(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; watch?: { client: pg.Client; database: string }; timeoutSeconds?: number },
): Promise<Timed> {
  const useTime = fs.existsSync(GNU_TIME);
  const timeFile = path.join(os.tmpdir(), `recon-bench-time-${process.pid}-${Date.now()}.txt`);
  const [file, argv] = useTime ? [GNU_TIME, ['-f', '%M', '-o', timeFile, command, ...args]] : [command, args];
  const started = process.hrtime.bigint();
  // its own process group, so a time limit can stop it together with anything it started
  const child = spawn(file, argv, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const stop = () => {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.once('exit', stop);
  let timedOut = false;
  const limit = options.timeoutSeconds
    ? setTimeout(() => {
        timedOut = true;
        stop();
      }, options.timeoutSeconds * 1000)
    : undefined;
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout = (stdout + d).slice(-KEEP)));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-KEEP)));
  let hwmKb: number | null = null;
  const samples: Sample[] = [];
  let sampling = false;
  const timer = setInterval(() => {
    if (!useTime && child.pid !== undefined) hwmKb = readHwmKb(child.pid) ?? hwmKb;
    const watch = options.watch;
    if (!watch || sampling) return;
    sampling = true;
    watch.client
      .query<{ query: string }>(
        `select query from pg_stat_activity where datname = $1 and state = 'active' and backend_type = 'client backend' and pid <> pg_backend_pid()`,
        [watch.database],
      )
      .then(({ rows }) => {
        const at = Date.now();
        for (const r of rows) samples.push({ at, statement: r.query.replace(/\s+/g, ' ').trim().slice(0, 160) });
      })
      .catch(() => undefined)
      .finally(() => (sampling = false));
  }, SAMPLE_MS);
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
  });
  clearInterval(timer);
  clearTimeout(limit);
  process.removeListener('exit', stop);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (useTime) {
    const text = fs.existsSync(timeFile) ? fs.readFileSync(timeFile, 'utf8') : '';
    fs.rmSync(timeFile, { force: true });
    // GNU time writes "Command exited with non-zero status N" before the format line on failure
    const kb = Number(text.trim().split('\n').pop());
    hwmKb = Number.isFinite(kb) && kb > 0 ? kb : null;
  }
  return {
    code,
    timedOut,
    seconds,
    peakRssMb: hwmKb === null ? null : Math.round(hwmKb / 1024),
    stdout,
    stderr,
    samples,
  };
}

export interface StageInterval {
  stage: string;
  seconds: number;
  /** epoch ms the stage ended (the log line's time) */
  end: number;
}

/** `stage done` lines of a recon process (RECON_LOG_FORMAT=json on stderr), in order. */
export function stageIntervals(stderr: string): StageInterval[] {
  const stages: StageInterval[] = [];
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; stage?: string; seconds?: number; time?: string };
      if (entry.msg === 'stage done' && typeof entry.stage === 'string' && typeof entry.seconds === 'number') {
        stages.push({ stage: entry.stage, seconds: entry.seconds, end: entry.time ? Date.parse(entry.time) : NaN });
      }
    } catch {
      // not a log line
    }
  }
  return stages;
}
