/** Pure: the warnings of a month, in a fixed order. */
export function runWarnings(f) {
    const out = [];
    if (f.records === 0n) {
        out.push({ code: 'no_ledger', message: `no gateway ledger records in ${f.period}: nothing to price, so the whole invoice is unmatched`, next: 'load the month\'s ledger: recon ingest ledger FILE' });
    }
    if (f.invoiceLines === 0n) {
        out.push({ code: 'no_invoice', message: `no provider invoice lines dated in ${f.period}: nothing to reconcile against or allocate`, next: 'load the invoices: recon ingest invoice FILE' });
    }
    if (f.cardLinesInEffect === 0n) {
        out.push({ code: 'no_rate_card', message: `no rate card line is in effect in ${f.period}: every record is unpriced`, next: 'import a card: recon ratecard import FILE' });
    }
    else if (f.records > 0n && f.unpriced === f.records) {
        out.push({ code: 'all_unpriced', message: `none of the ${f.records} records of ${f.period} could be priced by the cards in effect`, next: 'see which models lack prices: recon ratecard gaps --period ' + f.period });
    }
    if (f.owners === 0n) {
        out.push({ code: 'no_owners', message: 'no owners file: teams have no cost center and gateway keys no owner, so no team can pass the chargeback gates', next: 'import owners: recon owners import FILE' });
    }
    if (f.records > 0n && f.untagged === f.records) {
        out.push({ code: 'all_untagged', message: `every record of ${f.period} is untagged and no key owner names a team: the whole bill goes to the bucket`, next: 'tag requests at the gateway, or map gateway keys to teams in the owners file' });
    }
    return out;
}
