import { CAUSE_NAMES, type CauseName } from './inputs.ts';

// Command-line options of `npm run bench`, checked with messages that say what to do next.

export interface BenchOptions {
  requests: number;
  period: string;
  seed: number;
  /** keep the database and the generated files (prints where they are) */
  keep: boolean;
  workDir: string | undefined;
  resultsDir: string;
  help: boolean;
  /** a recon process still running after this many seconds is stopped and reported as timed out */
  stageTimeout: number;
  /** planted variance causes to leave out */
  without: CauseName[];
  /** the same month on the Citus cluster of RECON_CITUS_URL and on DATABASE_URL (bench/citus.ts) */
  citus: boolean;
}

export const USAGE = `npm run bench [-- --requests N] [--period YYYY-MM] [--seed S] [--work-dir DIR] [--results-dir DIR]
                [--stage-timeout S] [--without CAUSES] [--keep] [--citus]

Generates a month of N gateway requests (default 10,000,000) with matching provider invoices,
a rate card and owners, then runs recon stage by stage against PostgreSQL (DATABASE_URL; the
bench creates its own database and drops it afterwards) and prints seconds, records/s and
peak RSS per stage, the floor of this machine, and the targets met or missed with why.
Writes the figures to bench/results/YYYY-MM-DD-N<requests>.json.

  --requests N      ledger records in the month (retries included), default 10000000
  --period P        the month, default 2026-05
  --seed S          generator seed, default 20260501 (same seed, same month)
  --work-dir DIR    where the generated files go (default: a new folder under the system temp dir)
  --results-dir DIR where the JSON result goes (default bench/results)
  --without LIST    leave planted causes out, comma-separated: ${CAUSE_NAMES.join(', ')}
                    (all planted by default: an ingestion gap window, partial streams, a team's
                    traffic billed as batch, failed retries not billed, a provider credit)
  --stage-timeout S stop a recon process still running after S seconds and report it (default 600)
  --keep            keep the database and the files for a look afterwards
  --citus           run the month on the Citus cluster of RECON_CITUS_URL (../shared/citus/setup.sh
                    start prints it) and on DATABASE_URL, side by side: seconds per stage and the
                    rows each node read and wrote; writes bench/results/...-citus.json
`;

export class BenchUsageError extends Error {}

export function parseBenchArgs(argv: string[], defaults: { resultsDir: string }): BenchOptions {
  const options: BenchOptions = { requests: 10_000_000, period: '2026-05', seed: 20260501, keep: false, workDir: undefined, resultsDir: defaults.resultsDir, help: false, without: [], stageTimeout: 600, citus: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new BenchUsageError(`${arg} needs a value; see npm run bench -- --help`);
      return v;
    };
    switch (arg) {
      case '--requests': {
        const text = value().replace(/[_,]/g, '');
        const n = Number(text);
        if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1000) throw new BenchUsageError(`--requests must be a whole number of at least 1000 (got "${text}"), e.g. --requests 1000000`);
        options.requests = n;
        break;
      }
      case '--period': {
        const p = value();
        if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(p)) throw new BenchUsageError(`--period must be YYYY-MM (got "${p}"), e.g. --period 2026-05`);
        options.period = p;
        break;
      }
      case '--seed': {
        const s = Number(value());
        if (!Number.isSafeInteger(s)) throw new BenchUsageError('--seed must be a whole number');
        options.seed = s;
        break;
      }
      case '--work-dir':
        options.workDir = value();
        break;
      case '--results-dir':
        options.resultsDir = value();
        break;
      case '--without': {
        const names = value().split(',').map((n) => n.trim()).filter((n) => n !== '');
        const unknown = names.filter((n) => !(CAUSE_NAMES as readonly string[]).includes(n));
        if (unknown.length > 0) throw new BenchUsageError(`--without takes ${CAUSE_NAMES.join(', ')} (got ${unknown.join(', ')})`);
        options.without = names as CauseName[];
        break;
      }
      case '--stage-timeout': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1) throw new BenchUsageError('--stage-timeout must be a whole number of seconds, e.g. --stage-timeout 300');
        options.stageTimeout = n;
        break;
      }
      case '--keep':
        options.keep = true;
        break;
      case '--citus':
        options.citus = true;
        break;
      case '--help':
      case '-h':
        options.help = true;
        break;
      default:
        throw new BenchUsageError(`unknown option ${arg}; see npm run bench -- --help`);
    }
  }
  return options;
}
