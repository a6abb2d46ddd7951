import fs from 'node:fs';
import { ingestFile } from "../src/ingest/loader.js";
import { importRateCard } from "../src/pricing/import-card.js";
/**
 * Ingests one inbox file: ledger / invoice / usage files through the ingest loader (format
 * detected from the content), rate cards (CSV; LiteLLM JSON price maps) through the pricing
 * import. The same bytes again count as a duplicate, not a failure.
 */
export const ingestWithLoader = (store, kind, file, log) => ingestWithSettings({ ingest: { monthWindow: 1 } })(store, kind, file, log);
/** The same, with the settings file's ingest settings (the month window). */
export const ingestWithSettings = (settings) => async (store, kind, file, log) => {
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
