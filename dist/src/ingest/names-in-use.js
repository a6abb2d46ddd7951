import { sql } from 'kysely';
/**
 * Every (provider, name) the loaded data uses, as written: ledger response models (from the
 * roll-up), invoice lines' and usage rows' provider models and mapped models. A rate card import
 * checks its models against these (src/pricing/card-report.ts). Columns: provider, name.
 */
export function modelNamesInUse() {
    return sql `
    select distinct provider, response_model as name from ledger_file_rollup
    union select provider, provider_model from invoice_line where provider_model is not null
    union select provider, model from invoice_line where model is not null
    union select provider, provider_model from provider_usage where provider_model is not null
    union select provider, model from provider_usage where model is not null`;
}
