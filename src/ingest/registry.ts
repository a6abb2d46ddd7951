import type { CanonicalInvoiceLine, CanonicalLedgerRow, CanonicalUsageRow, SourceFormat } from './format.ts';
import { canonicalInvoiceCsv } from './canonical-invoice.ts';
import { invoiceFormats, usageFormats } from './invoice-formats/index.ts';
import { canonicalLedgerCsv, canonicalLedgerJsonl } from './ledger-formats/canonical.ts';
import { litellmSpendLogs } from './ledger-formats/litellm.ts';
import { otelGenAiSpans } from './ledger-formats/otel.ts';

export type IngestKind = 'ledger' | 'invoice' | 'usage';

// Detection order matters: the most specific signatures first.
export const ledgerFormats: SourceFormat<CanonicalLedgerRow>[] = [otelGenAiSpans, litellmSpendLogs, canonicalLedgerJsonl, canonicalLedgerCsv];

export function formatsOf(kind: 'ledger'): SourceFormat<CanonicalLedgerRow>[];
export function formatsOf(kind: 'invoice'): SourceFormat<CanonicalInvoiceLine>[];
export function formatsOf(kind: 'usage'): SourceFormat<CanonicalUsageRow>[];
export function formatsOf(kind: IngestKind): SourceFormat<unknown>[];
export function formatsOf(kind: IngestKind): SourceFormat<unknown>[] {
  if (kind === 'ledger') return ledgerFormats as SourceFormat<unknown>[];
  if (kind === 'invoice') return [canonicalInvoiceCsv, ...invoiceFormats] as SourceFormat<unknown>[];
  return [...usageFormats] as SourceFormat<unknown>[];
}

/** The format named by --format, or the first whose detect() accepts the head; undefined if none. */
export function chooseFormat(kind: IngestKind, head: string, fileName: string, name?: string): SourceFormat<unknown> | undefined {
  const formats = formatsOf(kind);
  if (name) return formats.find((format) => format.name === name);
  return formats.find((format) => {
    try {
      return format.detect(head, fileName);
    } catch {
      return false;
    }
  });
}
