import type { CanonicalInvoiceLine, CanonicalUsageRow, SourceFormat } from '../format.ts';
import { anthropicCost } from './anthropic-cost.ts';
import { anthropicUsage } from './anthropic-usage.ts';
import { azureCostDetails } from './azure-cost-details.ts';
import { bedrockCur } from './bedrock-cur.ts';
import { focus } from './focus.ts';
import { gcpBillingExport } from './gcp-billing-export.ts';
import { openAiCosts } from './openai-costs.ts';
import { openAiCostsCsv, openAiUsageCsv } from './openai-export-csv.ts';
import { openAiUsage } from './openai-usage.ts';

// The registry of provider invoice / cost-export formats and usage-report formats, in detection
// order. Each detect() looks for keys or columns only its format has, so at most one matches.
export const invoiceFormats: SourceFormat<CanonicalInvoiceLine>[] = [openAiCosts, openAiCostsCsv, anthropicCost, bedrockCur, azureCostDetails, gcpBillingExport, focus];
export const usageFormats: SourceFormat<CanonicalUsageRow>[] = [openAiUsage, openAiUsageCsv, anthropicUsage];

export { loadSkuMapping, parseSkuMapping, type SkuMapping } from './sku-mapping.ts';
