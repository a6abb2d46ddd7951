import { canonicalInvoiceCsv } from "./canonical-invoice.js";
import { invoiceFormats, usageFormats } from "./invoice-formats/index.js";
import { canonicalLedgerCsv, canonicalLedgerJsonl } from "./ledger-formats/canonical.js";
import { litellmSpendLogs } from "./ledger-formats/litellm.js";
import { otelGenAiSpans } from "./ledger-formats/otel.js";
// Detection order matters: the most specific signatures first.
export const ledgerFormats = [otelGenAiSpans, litellmSpendLogs, canonicalLedgerJsonl, canonicalLedgerCsv];
export function formatsOf(kind) {
    if (kind === 'ledger')
        return ledgerFormats;
    if (kind === 'invoice')
        return [canonicalInvoiceCsv, ...invoiceFormats];
    return [...usageFormats];
}
/** The format named by --format, or the first whose detect() accepts the head; undefined if none. */
export function chooseFormat(kind, head, fileName, name) {
    const formats = formatsOf(kind);
    if (name)
        return formats.find((format) => format.name === name);
    return formats.find((format) => {
        try {
            return format.detect(head, fileName);
        }
        catch {
            return false;
        }
    });
}
