import type { Readable } from 'node:stream';
import type { CacheWritesFlag, PromptReadings } from './ledger-formats/litellm-prompt.ts';
import type { CostCategory as TokenCategory, LineType, ServiceTier } from '../vocabulary.ts';

// The contract between a source format's parser and the loader that stores its rows.
// Parsers turn a file into canonical rows plus rejects; they never touch the database.
// Every field is text (or null) so no count or amount ever passes through a JS number.

/** One provider attempt in canonical meaning (see README "Canonical formats"). */
export interface CanonicalLedgerRow {
  request_id: string;
  /** RFC 3339 with offset */
  timestamp: string;
  provider: string;
  response_model: string;
  /** all input, cache reads and writes included */
  input_tokens: string;
  /** all output, reasoning included */
  output_tokens: string;
  original_request_id?: string | null;
  attempt?: string | null;
  requested_model?: string | null;
  cache_read_input_tokens?: string | null;
  cache_write_5m_input_tokens?: string | null;
  cache_write_1h_input_tokens?: string | null;
  reasoning_output_tokens?: string | null;
  service_tier?: string | null;
  status?: string | null;
  http_status?: string | null;
  team?: string | null;
  service?: string | null;
  cost_center?: string | null;
  tenant?: string | null;
  environment?: string | null;
  workflow?: string | null;
  user_id?: string | null;
  gateway_key_id?: string | null;
  region?: string | null;
  price_card_version?: string | null;
  gateway_cost_usd?: string | null;
  provider_response_id?: string | null;
  trace_id?: string | null;
  conversation_id?: string | null;
}

export const LEDGER_COLUMNS = [
  'request_id', 'timestamp', 'provider', 'response_model', 'input_tokens', 'output_tokens',
  'original_request_id', 'attempt', 'requested_model', 'cache_read_input_tokens',
  'cache_write_5m_input_tokens', 'cache_write_1h_input_tokens', 'reasoning_output_tokens',
  'service_tier', 'status', 'http_status', 'team', 'service', 'cost_center', 'tenant', 'environment',
  'workflow', 'user_id', 'gateway_key_id', 'region', 'price_card_version', 'gateway_cost_usd',
  'provider_response_id', 'trace_id', 'conversation_id',
] as const satisfies readonly (keyof CanonicalLedgerRow)[];

export type { TokenCategory, LineType, ServiceTier };

/** One invoice / cost-export line, mapped to recon's categories. */
export interface CanonicalInvoiceLine {
  provider: string;
  invoice_id: string;
  /** YYYY-MM-DD, UTC */
  charge_date: string;
  /** the model as the provider names it, null for lines about no model */
  provider_model: string | null;
  /** canonical model per the mapping (aliases are applied again at run time), null = unmapped */
  model: string | null;
  token_category: TokenCategory | null;
  service_tier: ServiceTier;
  region: string | null;
  /** tokens (or requests for 'request'), in single units: a per-1K meter is multiplied out */
  quantity: string | null;
  /** USD, as billed; negative for credits and discounts */
  amount: string;
  currency: string;
  line_type: LineType;
  /** the provider's own meter / usage type / line item, as read */
  sku: string | null;
  /** which mapping rule matched, null = unmapped (kept, shown as an unmapped invoice line) */
  mapping_rule: string | null;
  account_ref: string | null;
}

/** Tokens by category from a usage report (no money). */
export interface CanonicalUsageRow {
  provider: string;
  usage_date: string;
  provider_model: string | null;
  model: string | null;
  token_category: TokenCategory;
  service_tier: ServiceTier;
  quantity: string;
  requests: string | null;
  account_ref: string | null;
}

export interface Reject {
  field?: string;
  value?: string;
  reason: string;
  raw?: string;
}

/** `line` is the 1-based line (or record number for JSON) in the source file. */
export type ParsedRow<T> = { line: number; row: T } | { line: number; reject: Reject };

export interface ParseContext {
  fileName: string;
  /** user file extending / overriding the SKU -> (model, category, tier, region) mapping */
  skuMappingFile?: string;
  /**
   * Called for each row a reader passes over because it is not AI model spend of recon's providers
   * (the rest of a cloud bill): its service as the file names it and its amount as written.
   */
  onSkipped?: (service: string, amount: string | null) => void;
  /** LiteLLM SpendLogs: how a row whose numbers leave open what prompt_tokens held is read (default auto) */
  litellmCacheWrites?: CacheWritesFlag;
  /** filled by the LiteLLM reader: which rows' prompt_tokens were read which way */
  promptReadings?: PromptReadings;
}

export interface SourceFormat<T> {
  /** the --format name, e.g. 'openai-costs' */
  name: string;
  kind: 'ledger' | 'invoice' | 'usage';
  description: string;
  /** true when the first bytes of the file (up to 64 KiB, decompressed) are of this format */
  detect(head: string, fileName: string): boolean;
  parse(input: Readable, context: ParseContext): AsyncIterable<ParsedRow<T>>;
}
