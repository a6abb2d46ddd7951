import type { CanonicalInvoiceLine, CanonicalUsageRow, SourceFormat } from '../format.ts';
import { anthropicCost } from './anthropic-cost.ts';
import { anthropicUsage } from './anthropic-usage.ts';
import { bedrockCur } from './bedrock-cur.ts';
import { focus } from './focus.ts';
import { openAiCosts } from './openai-costs.ts';
import { openAiUsage } from './openai-usage.ts';

// The registry of provider invoice / cost-export formats and usage-report formats, in detection
// order. Each detect() looks for keys or columns only its format has, so at most one matches.
export const invoiceFormats: SourceFormat<CanonicalInvoiceLine>[] = [openAiCosts, anthropicCost, bedrockCur, focus];
export const usageFormats: SourceFormat<CanonicalUsageRow>[] = [openAiUsage, anthropicUsage];

export { loadSkuMapping, parseSkuMapping, type SkuMapping } from './sku-mapping.ts';
