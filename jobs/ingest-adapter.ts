import fs from 'node:fs';
import { ingestFile } from '../src/ingest/loader.ts';
import { importRateCard } from '../src/pricing/import-card.ts';
import { importFxRates } from '../src/fx/import-rates.ts';
import { DEFAULT_REPORTING_CURRENCY } from '../src/fx/run-rates.ts';
import type { IngestOne } from './inbox.ts';
import type { Settings } from '../src/settings.ts';

/**
 * Ingests one inbox file: ledger / invoice / usage files through the ingest loader (format
 * detected from the content), rate cards (CSV; LiteLLM JSON price maps) through the pricing
 * import, exchange rates (fx/) through `recon fx import`'s import. The same bytes again count as a duplicate, not a failure.
 */
export const ingestWithLoader: IngestOne = (store, kind, file, log) => ingestWithSettings({ ingest: { monthWindow: 1 } })(store, kind, file, log);

/** The same, with the settings file's ingest settings (the month window). */
export const ingestWithSettings = (settings: Pick<Settings, 'ingest'> & Partial<Pick<Settings, 'fx'>>): IngestOne => async (store, kind, file, log) => {
  if (kind === 'fx') {
    const result = await importFxRates(store.db, { path: file, text: fs.readFileSync(file, 'utf8'), reportingCurrency: settings.fx?.reportingCurrency ?? DEFAULT_REPORTING_CURRENCY });
    // a rates file adds only the rows fx_rate lacks: every row already there is the duplicate of an earlier file
    return { status: result.rows_stored === 0 && result.rows_rejected === 0 ? 'duplicate' : 'loaded', detail: { rows_stored: result.rows_stored, rows_unchanged: result.rows_unchanged, rows_rejected: result.rows_rejected } };
  }
  if (kind === 'ratecard') {
    const result = await importRateCard(store.db, { path: file, bytes: fs.readFileSync(file), format: /\.json$/i.test(file) ? 'litellm' : 'csv' });
    return { status: result.status === 'already_imported' ? 'duplicate' : 'loaded', detail: { card_version: result.card_version, lines: result.lines } };
  }
  const result = await ingestFile(store, { kind, path: file, log, monthWindow: settings.ingest.monthWindow });
  return {
    status: result.status === 'duplicate' || result.already_ingested ? 'duplicate' : 'loaded',
    detail: { ingested_file_id: result.ingested_file_id, format: result.format, rows_stored: result.rows_stored, rows_rejected: result.rows_rejected },
  };
};
