import fs from 'node:fs';
import { z } from 'zod';

/**
 * Operational settings from an optional JSON file (RECON_CONFIG_FILE): tolerances, schedules,
 * HTTP tokens. Everything has a documented default so recon runs with no file at all.
 */
const decimalText = z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a decimal number written as a string, e.g. "2.0"');

const tolerance = z.object({
  /** A cell is `review` above this percent of the invoice amount... */
  percent: decimalText.default('2'),
  /** ...and above this absolute USD amount; `breach` above twice both. */
  amount: decimalText.default('1.00'),
});

export const settingsSchema = z.object({
  tolerance: z
    .object({
      default: tolerance.default({ percent: '2', amount: '1.00' }),
      providers: z.record(z.string(), tolerance).default({}),
    })
    .default({ default: { percent: '2', amount: '1.00' }, providers: {} }),
  schedule: z
    .object({
      timezone: z.string().default('UTC'),
      /** cron expression of the nightly month-to-date reconciliation */
      nightly: z.string().default('0 2 * * *'),
      /** the month-end close runs at this time on the Nth business day of the next month */
      monthEndTime: z.string().regex(/^\d{2}:\d{2}$/).default('06:00'),
      monthEndBusinessDay: z.number().int().min(1).max(10).default(3),
    })
    .default({ timezone: 'UTC', nightly: '0 2 * * *', monthEndTime: '06:00', monthEndBusinessDay: 3 }),
  ingest: z
    .object({
      /** a ledger row more than this many months from the file's other rows is rejected (README, Ingest) */
      monthWindow: z.number().int().min(0).max(120).default(1),
    })
    .default({ monthWindow: 1 }),
  fx: z
    .object({
      /** the currency variance, allocation and workbooks are in; other invoice currencies are converted (docs/currencies.md) */
      reportingCurrency: z.string().regex(/^[A-Z]{3}$/, 'must be a three-letter ISO 4217 code such as "USD"').default('USD'),
    })
    .default({ reportingCurrency: 'USD' }),
  http: z
    .object({
      /** bearer tokens; `rerun: true` also allows POST /periods/P/runs */
      tokens: z.array(z.object({ token: z.string().min(16), name: z.string(), rerun: z.boolean().default(false) })).default([]),
    })
    .default({ tokens: [] }),
});

export type Settings = z.infer<typeof settingsSchema>;

export function parseSettings(value: unknown, source = 'settings'): Settings {
  const result = settingsSchema.safeParse(value ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${source} is not valid: ${problems}`);
  }
  return result.data;
}

export function loadSettings(file: string | undefined): Settings {
  if (!file) return parseSettings({});
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read settings file ${file}: ${(error as Error).message}`, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`settings file ${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseSettings(value, file);
}
