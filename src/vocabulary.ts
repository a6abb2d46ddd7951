// The glossary as code: the closed word lists recon's tables and rules share. Each list is the one
// place its words are spelled; SQL interpolates them through `sqlWords`, and
// test/vocabulary.db.test.ts checks every list against the CHECK constraint the migrations put on
// the column that stores it, so the code and the schema cannot drift apart.

/** How a provider sells a request: each tier has its own prices. */
export const SERVICE_TIERS = ['standard', 'batch', 'flex', 'priority'] as const;
export type ServiceTier = (typeof SERVICE_TIERS)[number];

/** Token categories a rate card line can price: reasoning may be priced apart from output. */
export const CARD_CATEGORIES = ['input', 'cached_input', 'cache_write_5m', 'cache_write_1h', 'output', 'reasoning_output', 'request'] as const;
export type CardCategory = (typeof CARD_CATEGORIES)[number];

/** Token categories of invoices and of the priced ledger (the cost cube): reasoning is billed inside `output`. */
export const COST_CATEGORIES = ['input', 'cached_input', 'cache_write_5m', 'cache_write_1h', 'output', 'request'] as const;
export type CostCategory = (typeof COST_CATEGORIES)[number];

/** Why a ledger record has no price (it is flagged, never priced at $0). */
export const UNPRICED_REASONS = ['unknown_tier', 'negative_uncached_input', 'no_card_for_model', 'no_card_in_effect', 'no_price_for_category'] as const;
export type UnpricedReason = (typeof UNPRICED_REASONS)[number];

/** What an invoice line is. */
export const LINE_TYPES = ['usage', 'discount', 'credit', 'tax', 'fee'] as const;
export type LineType = (typeof LINE_TYPES)[number];

/** What an ingested file holds. */
export const FILE_KINDS = ['ledger', 'invoice', 'usage', 'ratecard', 'alias', 'owners'] as const;
export type FileKind = (typeof FILE_KINDS)[number];

/** A variance cell against tolerance. */
export const CELL_STATUSES = ['ok', 'review', 'breach'] as const;
export type CellStatus = (typeof CELL_STATUSES)[number];

/** How a team's allocation is reported: without moving money, or charged to its cost center. */
export const CHARGE_MODES = ['showback', 'chargeback'] as const;
export type ChargeMode = (typeof CHARGE_MODES)[number];

export const PERIOD_STATUSES = ['open', 'closed'] as const;
export const RUN_STATUSES = ['running', 'succeeded', 'failed'] as const;
export const DISPUTE_STATUSES = ['open', 'accepted', 'rejected'] as const;
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number];
export const WORKBOOK_KINDS = ['allocation', 'dispute'] as const;
export const JOB_STATUSES = ['running', 'succeeded', 'failed', 'skipped'] as const;
/** The two parts of a cell's variance a cause can explain. */
export const VARIANCE_EFFECTS = ['volume', 'price'] as const;

/** Bedrock cross-region inference profile prefixes (`us.anthropic.…`): each carries its own price. */
export const BEDROCK_GEO_PREFIXES = ['us', 'eu', 'apac', 'jp', 'au', 'ca', 'global', 'us-gov'] as const;

/** Card prices are USD per 1M tokens (per request for `request`); one token costs unit_price × this, exactly. */
export const PER_TOKEN = '0.000001';

/** Business days (Monday to Friday) a team has to dispute its charge after its workbook is issued. */
export const DISPUTE_WINDOW_BUSINESS_DAYS = 5;

/**
 * A word list as an SQL list literal, `('a', 'b')`, for `sql.raw` or a migration-free check. The
 * words are this module's constants (never user input), so quoting them here is safe.
 */
export function sqlWords(words: readonly string[]): string {
  for (const word of words) if (!/^[a-z0-9_-]+$/.test(word)) throw new Error(`not a vocabulary word: ${word}`);
  return `(${words.map((w) => `'${w}'`).join(', ')})`;
}
