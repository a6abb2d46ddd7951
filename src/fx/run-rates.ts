import type { Kysely } from 'kysely';
import { UserError } from '../command-context.ts';
import type { Database } from '../db/schema.ts';
import type { Period } from '../period.ts';
import { selectMissingRates, selectRatesUsed, type MissingRate, type UsedRate } from './queries.ts';

/** The reporting currency when the settings name none. */
export const DEFAULT_REPORTING_CURRENCY = 'USD';

/** What a run records about currencies among its inputs (nothing for a month billed only in the reporting currency). */
export interface FxRunInputs {
  /** recorded only when it is not USD, so a USD run's inputs (and hash) are what they always were */
  reporting_currency?: string;
  /** the rates the period's invoice lines are converted with, when any */
  fx_rates?: UsedRate[];
}

export function missingRatesMessage(period: Period, reportingCurrency: string, missing: readonly MissingRate[]): UserError {
  const what = missing
    .map((m) => `${m.currency} for ${m.month} (${m.lines} invoice line(s) from ${m.first_day} to ${m.last_day}, ${m.billed_amount} ${m.currency})`)
    .join('; ');
  const currencies = [...new Set(missing.map((m) => m.currency))].join(', ');
  const months = [...new Set(missing.map((m) => m.month))].join(', ');
  return new UserError(
    `period ${period}: no exchange rate to ${reportingCurrency} for ${what}; invoice amounts are never taken at 1:1`,
    `recon fx import rates.csv with a ${currencies} rate to ${reportingCurrency} for ${months} (a month row YYYY-MM, or day rows from the month's first day; docs/currencies.md), then rerun`,
  );
}

/**
 * Checks that every invoice line of the period converts to the reporting currency (else the run
 * fails, naming each currency and month) and returns what the run records about it.
 */
export async function fxRunInputs(db: Kysely<Database>, period: Period, reportingCurrency: string): Promise<FxRunInputs> {
  const missing = await selectMissingRates(db, period, reportingCurrency);
  if (missing.length > 0) throw missingRatesMessage(period, reportingCurrency, missing);
  const used = await selectRatesUsed(db, period, reportingCurrency);
  return {
    ...(reportingCurrency === DEFAULT_REPORTING_CURRENCY ? {} : { reporting_currency: reportingCurrency }),
    ...(used.length > 0 ? { fx_rates: used } : {}),
  };
}
