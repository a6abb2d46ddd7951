import type { Kysely } from 'kysely';
import { UserError } from '../command-context.ts';
import type { Database } from '../db/schema.ts';
import { parseFxRatesCsv, type FxReject } from './rates-file.ts';
import { insertRates, insertRejectedRates } from './queries.ts';

export interface FxImportResult {
  file: string;
  reporting_currency: string;
  rows_read: number;
  rows_stored: number;
  /** rows fx_rate already held with the same rate (a file imported twice stores nothing) */
  rows_unchanged: number;
  rows_rejected: number;
  rejects: Omit<FxReject, 'raw'>[];
}

/**
 * One exchange-rate file into fx_rate, in one transaction: good rows are stored (or found
 * unchanged), bad ones rejected with their line and reason (also to rejected_row). A stored
 * rate is never replaced: a row giving another rate for the same currency and date is rejected.
 */
export async function importFxRates(db: Kysely<Database>, request: { path: string; text: string; reportingCurrency: string }): Promise<FxImportResult> {
  let parsed;
  try {
    parsed = parseFxRatesCsv(request.text, request.reportingCurrency);
  } catch (error) {
    throw new UserError(`${request.path}: ${(error as Error).message}`, 'write a CSV with a header date|month,currency,rate,source (docs/currencies.md)');
  }
  return db.transaction().execute(async (trx) => {
    const outcomes = await insertRates(trx, request.path, parsed.rows);
    const byLine = new Map(parsed.rows.map((r) => [r.line, r] as const));
    const conflicts: FxReject[] = outcomes
      .filter((o) => o.outcome === 'conflict')
      .map((o) => {
        const row = byLine.get(o.line)!;
        return {
          line: o.line, field: 'rate', value: row.rate,
          reason: `${row.currency} on ${row.basis === 'month' ? row.effective_date.slice(0, 7) : row.effective_date} is already ${o.stored_rate} (from ${o.stored_from}); a stored rate is never replaced`,
          raw: `${row.effective_date},${row.currency},${row.rate},${row.source}`,
        };
      });
    const rejects = [...parsed.rejects, ...conflicts].sort((a, b) => a.line - b.line);
    await insertRejectedRates(trx, request.path, rejects);
    return {
      file: request.path,
      reporting_currency: request.reportingCurrency,
      rows_read: parsed.read,
      rows_stored: outcomes.filter((o) => o.outcome === 'stored').length,
      rows_unchanged: outcomes.filter((o) => o.outcome === 'unchanged').length + parsed.repeated,
      rows_rejected: rejects.length,
      rejects: rejects.map(({ raw: _raw, ...r }) => r),
    };
  });
}
