import { anthropicCost } from "./anthropic-cost.js";
import { anthropicUsage } from "./anthropic-usage.js";
import { azureCostDetails } from "./azure-cost-details.js";
import { bedrockCur } from "./bedrock-cur.js";
import { focus } from "./focus.js";
import { gcpBillingExport } from "./gcp-billing-export.js";
import { openAiCosts } from "./openai-costs.js";
import { openAiCostsCsv, openAiUsageCsv } from "./openai-export-csv.js";
import { openAiUsage } from "./openai-usage.js";
// The registry of provider invoice / cost-export formats and usage-report formats, in detection
// order. Each detect() looks for keys or columns only its format has, so at most one matches.
export const invoiceFormats = [openAiCosts, openAiCostsCsv, anthropicCost, bedrockCur, azureCostDetails, gcpBillingExport, focus];
export const usageFormats = [openAiUsage, openAiUsageCsv, anthropicUsage];
export { loadSkuMapping, parseSkuMapping } from "./sku-mapping.js";
