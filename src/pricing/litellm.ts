import { Decimal } from '../money.ts';
import type { NewAlias, NewCardLine } from './queries.ts';
import { modelSpelling, type CardCategory, type ServiceTier } from './rules.ts';
import { BEDROCK_GEO_PREFIXES } from '../vocabulary.ts';

// LiteLLM's model price map (model_prices_and_context_window.json) -> rate card lines.
// Prices there are USD per token written as JSON numbers (2.5e-06); recon keeps USD per 1M tokens
// exactly, so numbers are read from their source text, never through a JS float.

/** JSON text with every number literal (outside strings) turned into a string of its source text. */
export function quoteJsonNumbers(text: string): string {
  let out = '';
  let i = 0;
  let copiedTo = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (ch === '-' || (ch >= '0' && ch <= '9')) {
      let j = i + 1;
      while (j < text.length && /[0-9eE+\-.]/.test(text[j]!)) j++;
      out += text.slice(copiedTo, i) + '"' + text.slice(i, j) + '"';
      copiedTo = j;
      i = j;
      continue;
    }
    i++;
  }
  return out + text.slice(copiedTo);
}

/** litellm_provider -> OpenTelemetry gen_ai.provider.name. Providers not listed are skipped. */
const LITELLM_PROVIDERS: Record<string, string> = {
  openai: 'openai',
  'text-completion-openai': 'openai',
  anthropic: 'anthropic',
  bedrock: 'aws.bedrock',
  bedrock_converse: 'aws.bedrock',
  azure: 'azure.ai.openai',
  azure_ai: 'azure.ai.inference',
  vertex_ai: 'gcp.vertex_ai',
  gemini: 'gcp.gemini',
  mistral: 'mistral_ai',
  cohere: 'cohere',
  cohere_chat: 'cohere',
  deepseek: 'deepseek',
  groq: 'groq',
  xai: 'x_ai',
  perplexity: 'perplexity',
};

export function otelProvider(litellmProvider: string): string | undefined {
  if (litellmProvider.startsWith('vertex_ai')) return 'gcp.vertex_ai';
  return LITELLM_PROVIDERS[litellmProvider];
}

const KNOWN_PATH_PREFIXES = new Set(['azure', 'azure_ai', 'bedrock', 'vertex_ai', 'gemini', 'openai', 'anthropic', 'mistral', 'cohere', 'deepseek', 'groq', 'xai', 'perplexity']);
const BEDROCK_GEO = new RegExp(`^(${BEDROCK_GEO_PREFIXES.join('|')})\\.(?=[a-z0-9-]+\\.)`);
/** Path segments that name where a price applies: Azure's data zones, AWS regions. */
const AZURE_REGION = /^(eu|us|global|global-standard)$/;
const AWS_REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d+$/;
/** Bedrock's API routes in a key (`bedrock/invoke/...`, `bedrock/converse/...`): not a region, no price of their own. */
const BEDROCK_ROUTES = new Set(['invoke', 'converse']);

export interface CanonicalName {
  model: string;
  region: string;
  /** the key without its provider path (`vertex_ai/claude-3-5-sonnet-v2@20241022` -> `claude-3-5-sonnet-v2@20241022`) */
  unprefixed: string;
  /** the key starts with its provider's route (`deepseek/deepseek-chat`), the entry LiteLLM prices such calls with */
  prefixed: boolean;
}

/**
 * A price-map key -> canonical model (docs/architecture.md) and the region its price is for:
 * `azure/eu/gpt-4o-2024-08-06` -> gpt-4o-2024-08-06 in 'eu'; `us.anthropic.claude-...-v1:0` ->
 * claude-... in 'us'; `bedrock/us-east-1/anthropic.claude-...` -> claude-... in 'us-east-1';
 * `bedrock/invoke/anthropic.claude-...` -> claude-... (a route, not a region); a publisher path
 * stays in the name (`vertex_ai/meta/llama-...` -> meta/llama-..., as LiteLLM's ledger names it);
 * Vertex `@` snapshots in the provider's spelling (rules.modelSpelling: `claude-3-5-sonnet-v2@20241022`
 * -> claude-3-5-sonnet-20241022, Anthropic's id). Undefined: not a model key recon can price
 * (image sizes, commitment plans).
 */
export function canonicalName(key: string, provider: string): CanonicalName | undefined {
  const parts = key.split('/');
  let region = '';
  let name = key;
  let prefixed = false;
  if (parts.length > 1) {
    const [prefix, ...rest] = parts;
    if (!KNOWN_PATH_PREFIXES.has(prefix!)) return undefined;
    if (rest.some((p) => /commitment/.test(p))) return undefined;
    prefixed = true;
    const path = [...rest];
    if (prefix === 'bedrock' && path.length > 1 && BEDROCK_ROUTES.has(path[0]!)) path.shift();
    if (path.length > 1 && ((prefix === 'azure' && AZURE_REGION.test(path[0]!)) || (prefix === 'bedrock' && AWS_REGION.test(path[0]!)))) region = path.shift()!;
    name = path.join('/');
  }
  const unprefixed = name;
  if (provider === 'aws.bedrock') {
    const geo = BEDROCK_GEO.exec(name);
    if (geo) {
      region = region || geo[1]!;
      name = name.slice(geo[0].length);
    }
    // Bedrock's `-v1:0` is its own versioning of Anthropic's dated ids (built-in aliases map the
    // same way); other vendors' `-v2` is part of the model's name (titan-embed-text-v1 and -v2 differ)
    const anthropic = name.startsWith('anthropic.');
    name = name.replace(/^[a-z0-9-]+\.(?=[a-z])/, '').replace(anthropic ? /-v\d+(:\d+)?$/ : /:\d+$/, '');
  }
  name = modelSpelling(provider, name);
  if (!name) return undefined;
  return { model: name, region, unprefixed, prefixed };
}

interface FieldMeaning {
  category: CardCategory;
  tier: ServiceTier;
  minInputTokens: string;
  /** per token (x 1e6 to USD per 1M) or per request (as is) */
  perToken: boolean;
}

const BASE_FIELDS: Array<[string, CardCategory, boolean]> = [
  ['input_cost_per_token', 'input', true],
  ['output_cost_per_token', 'output', true],
  ['cache_read_input_token_cost', 'cached_input', true],
  ['cache_creation_input_token_cost_above_1hr', 'cache_write_1h', true],
  ['cache_creation_input_token_cost', 'cache_write_5m', true],
  ['output_cost_per_reasoning_token', 'reasoning_output', true],
  ['input_cost_per_request', 'request', false],
  // DeepSeek's name for its cache-hit input price
  ['input_cost_per_token_cache_hit', 'cached_input', true],
];
const TIER_SUFFIXES: Array<[string, ServiceTier]> = [
  ['_batches', 'batch'],
  ['_priority', 'priority'],
  ['_flex', 'flex'],
];

/** `cache_read_input_token_cost_above_200k_tokens_priority` -> cached_input, priority, 200000. */
export function fieldMeaning(field: string): FieldMeaning | undefined {
  let rest = field;
  let tier: ServiceTier = 'standard';
  for (const [suffix, t] of TIER_SUFFIXES) {
    if (rest.endsWith(suffix)) {
      tier = t;
      rest = rest.slice(0, -suffix.length);
      break;
    }
  }
  let minInputTokens = '0';
  const longContext = /_above_(\d+)k_tokens$/.exec(rest);
  if (longContext) {
    minInputTokens = String(Number(longContext[1]) * 1000);
    rest = rest.slice(0, longContext.index);
  }
  const base = BASE_FIELDS.find(([name]) => name === rest);
  if (!base) return undefined;
  return { category: base[1], tier, minInputTokens, perToken: base[2] };
}

/** Two price-map keys pricing one card line differently: which price was kept, from which key. */
export interface PriceConflict {
  /** provider / model / tier / category / region / min_input_tokens of the card line */
  line: string;
  kept: { key: string; price: string };
  dropped: { key: string; price: string };
}

export interface LitellmImport {
  lines: NewCardLine[];
  aliases: NewAlias[];
  models: number;
  skippedProviders: Record<string, number>;
  conflicts: PriceConflict[];
}

const NUMBER_TEXT = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/** Maps the price map to card lines starting at `effectiveFrom` (ISO) and open-ended. */
export function parseLitellmPriceMap(text: string, effectiveFrom: string): LitellmImport {
  const map = JSON.parse(quoteJsonNumbers(text)) as Record<string, unknown>;
  const skippedProviders: Record<string, number> = {};
  const chosen = new Map<string, { line: NewCardLine; from: string }>();
  const conflicts: PriceConflict[] = [];
  const aliases = new Map<string, NewAlias>();
  const models = new Set<string>();
  const named: Array<{ key: string; provider: string; name: CanonicalName; fields: Record<string, unknown> }> = [];
  for (const key of Object.keys(map)) {
    const entry = map[key];
    if (key === 'sample_spec' || !entry || typeof entry !== 'object') continue;
    const fields = entry as Record<string, unknown>;
    const litellmProvider = typeof fields.litellm_provider === 'string' ? fields.litellm_provider : '';
    const provider = otelProvider(litellmProvider);
    if (!provider) {
      skippedProviders[litellmProvider || '(none)'] = (skippedProviders[litellmProvider || '(none)'] ?? 0) + 1;
      continue;
    }
    const name = canonicalName(key, provider);
    if (name) named.push({ key, provider, name, fields });
  }
  // Where two keys price the same line, the one with the provider's route wins (`deepseek/deepseek-chat`
  // over `deepseek-chat`: LiteLLM prices a call routed through the provider by it), then the
  // shorter key, then the first in byte order (deterministic); every disagreement is listed.
  named.sort((a, b) => Number(b.name.prefixed) - Number(a.name.prefixed) || a.key.length - b.key.length || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const { key, provider, name, fields } of named) {
    let priced = false;
    for (const [field, value] of Object.entries(fields)) {
      const meaning = fieldMeaning(field);
      if (!meaning || typeof value !== 'string' || !NUMBER_TEXT.test(value)) continue;
      // an entry giving both names of the cache-hit price: LiteLLM's common field decides
      if (field.startsWith('input_cost_per_token_cache_hit') && typeof fields[field.replace('input_cost_per_token_cache_hit', 'cache_read_input_token_cost')] === 'string') continue;
      const amount = new Decimal(value);
      if (amount.isNegative()) continue;
      const unitPrice = (meaning.perToken ? amount.times(1_000_000) : amount).toFixed();
      const line: NewCardLine = {
        provider, model: name.model, service_tier: meaning.tier, token_category: meaning.category, region: name.region,
        min_input_tokens: meaning.minInputTokens, unit_price: unitPrice, effective_from: effectiveFrom, effective_to: null,
      };
      const lineKey = [provider, name.model, meaning.tier, meaning.category, name.region, meaning.minInputTokens].join(' / ');
      const existing = chosen.get(lineKey);
      if (existing) {
        if (!new Decimal(existing.line.unit_price).equals(unitPrice)) {
          conflicts.push({ line: lineKey, kept: { key: existing.from, price: existing.line.unit_price }, dropped: { key, price: unitPrice } });
        }
        continue;
      }
      chosen.set(lineKey, { line, from: key });
      priced = true;
    }
    if (priced) models.add(`${provider}/${name.model}`);
    // the key, and the name without the provider's path as a ledger or an invoice writes it
    for (const alias of new Set([key, name.unprefixed])) {
      const aliasKey = `${provider}\u0000${alias}`;
      if (alias !== name.model && !aliases.has(aliasKey)) aliases.set(aliasKey, { provider, alias, model: name.model, effective_from: null, effective_to: null });
    }
  }
  return { lines: [...chosen.values()].map((c) => c.line), aliases: [...aliases.values()], models: models.size, skippedProviders, conflicts };
}
