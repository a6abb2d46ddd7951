import type { CanonicalInvoiceLine, CanonicalUsageRow, SourceFormat } from '../format.ts';

// Placeholder until the provider-format parsers land: the registry of provider invoice / cost
// export formats and usage-report formats, in detection order.
export const invoiceFormats: SourceFormat<CanonicalInvoiceLine>[] = [];
export const usageFormats: SourceFormat<CanonicalUsageRow>[] = [];
