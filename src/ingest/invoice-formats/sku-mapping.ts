import fs from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { UserError } from '../../command-context.ts';
import type { ServiceTier, TokenCategory } from '../format.ts';
import { COST_CATEGORIES, SERVICE_TIERS } from '../../vocabulary.ts';

// The SKU mapping: a provider's meter / usage type / line item → (canonical model, token
// category, service tier, region). Built-in rules per provider live beside each parser
// (openai-line-items.ts, bedrock-usage-types.ts, azure-meters.ts); a user file extends or
// overrides them. User rules are tried first, in file order; the first match wins.

export const TOKEN_CATEGORIES: readonly TokenCategory[] = COST_CATEGORIES;
export { SERVICE_TIERS };

/** What a rule (built-in or user) says about one SKU; null fields = "not known from this SKU". */
export interface SkuMeaning {
  model: string | null;
  token_category: TokenCategory | null;
  service_tier: ServiceTier | null;
  region: string | null;
  /** the model as the provider names it in the SKU, e.g. `Claude4.5Sonnet`, `gpt 4o 0513` */
  provider_model: string | null;
}

export interface MappedSku extends SkuMeaning {
  /** `builtin:<name>` or `user:<file>:<row>`; null = unmapped */
  rule: string | null;
}

export interface UserSkuRule {
  /** an OTel provider name, or null for every provider */
  provider: string | null;
  pattern: string;
  regex: RegExp | null;
  model: string | null;
  token_category: TokenCategory | null;
  service_tier: ServiceTier | null;
  region: string | null;
  label: string;
}

export interface SkuMapping {
  rules: UserSkuRule[];
}

export const EMPTY_MAPPING: SkuMapping = { rules: [] };

const HINT = 'Fix the mapping file (columns: provider, pattern, model, token_category, service_tier, region) and run the command again.';

function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const s = String(value).trim();
  return s === '' ? null : s;
}

/** Parses the text of a user mapping file (JSON array / {rules:[…]}, or CSV with a header). */
export function parseSkuMapping(content: string, fileName: string): SkuMapping {
  const base = path.basename(fileName);
  let rows: Record<string, unknown>[];
  const trimmed = content.replace(/^\uFEFF/, '').trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw new UserError(`mapping file ${base} is not valid JSON: ${(error as Error).message}`, HINT);
    }
    const list = Array.isArray(parsed) ? parsed : (parsed as { rules?: unknown }).rules;
    if (!Array.isArray(list)) throw new UserError(`mapping file ${base} must hold a JSON array of rules (or {"rules": [...]})`, HINT);
    rows = list as Record<string, unknown>[];
  } else {
    try {
      rows = parseCsv(trimmed, { columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), skip_empty_lines: true, relax_column_count: true });
    } catch (error) {
      throw new UserError(`mapping file ${base} is not valid CSV: ${(error as Error).message}`, HINT);
    }
  }
  const rules = rows.map((row, i) => toRule(row, `${base}:${i + 1}`));
  return { rules };
}

function toRule(row: Record<string, unknown>, label: string): UserSkuRule {
  if (!row || typeof row !== 'object') throw new UserError(`mapping rule ${label} is not an object`, HINT);
  const pattern = text(row.pattern);
  if (!pattern) throw new UserError(`mapping rule ${label} has no pattern`, HINT);
  let regex: RegExp | null = null;
  const regexForm = /^\/(.*)\/([a-z]*)$/s.exec(pattern);
  if (regexForm) {
    try {
      regex = new RegExp(regexForm[1]!, regexForm[2]!.includes('i') ? 'i' : '');
    } catch (error) {
      throw new UserError(`mapping rule ${label}: pattern ${pattern} is not a valid regular expression (${(error as Error).message})`, HINT);
    }
  }
  const category = text(row.token_category);
  if (category !== null && !TOKEN_CATEGORIES.includes(category as TokenCategory)) {
    throw new UserError(`mapping rule ${label}: token_category "${category}" is not one of ${TOKEN_CATEGORIES.join(', ')}`, HINT);
  }
  const tier = text(row.service_tier);
  if (tier !== null && !SERVICE_TIERS.includes(tier as ServiceTier)) {
    throw new UserError(`mapping rule ${label}: service_tier "${tier}" is not one of ${SERVICE_TIERS.join(', ')}`, HINT);
  }
  const provider = text(row.provider);
  return {
    provider: provider === '*' ? null : provider,
    pattern,
    regex,
    model: text(row.model),
    token_category: category as TokenCategory | null,
    service_tier: tier as ServiceTier | null,
    region: text(row.region),
    label,
  };
}

/** Reads the user mapping file named by `--mapping`, or the empty mapping. */
export function loadSkuMapping(file: string | undefined): SkuMapping {
  if (!file) return EMPTY_MAPPING;
  let content: string;
  try {
    content = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read mapping file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'Check the path given to --mapping.');
  }
  return parseSkuMapping(content, file);
}

function matchRule(rule: UserSkuRule, provider: string, sku: string): RegExpExecArray | true | null {
  if (rule.provider !== null && rule.provider !== provider) return null;
  if (rule.regex) return rule.regex.exec(sku);
  return rule.pattern.trim().toLowerCase() === sku.trim().toLowerCase() ? true : null;
}

function substitute(template: string | null, match: RegExpExecArray | true): string | null {
  if (template === null || match === true) return template;
  return template.replace(/\$(\d)/g, (_, n: string) => match[Number(n)] ?? '');
}

/**
 * Maps one SKU: the first user rule that matches overrides the built-in meaning field by
 * field (a user rule that gives only `model` keeps the built-in category, tier and region).
 * The result is mapped only when it names both a model and a token category.
 */
export function mapSku(mapping: SkuMapping, provider: string, sku: string | null, builtin: { name: string; meaning: SkuMeaning | null }): MappedSku {
  const base = builtin.meaning;
  if (sku !== null) {
    for (const rule of mapping.rules) {
      const match = matchRule(rule, provider, sku);
      if (!match) continue;
      const meaning: SkuMeaning = {
        model: substitute(rule.model, match) ?? base?.model ?? null,
        token_category: rule.token_category ?? base?.token_category ?? null,
        service_tier: rule.service_tier ?? base?.service_tier ?? null,
        region: substitute(rule.region, match) ?? base?.region ?? null,
        provider_model: base?.provider_model ?? null,
      };
      return { ...meaning, rule: meaning.model && meaning.token_category ? `user:${rule.label}` : null };
    }
  }
  if (base && base.model && base.token_category) return { ...base, rule: `builtin:${builtin.name}` };
  // Unmapped, but what was read stays: a line whose model word is unknown keeps its category and
  // tier, so adding the word (a --mapping rule) is all it takes, and reports name that word.
  return {
    model: base?.model ?? null,
    token_category: base?.token_category ?? null,
    service_tier: base?.service_tier ?? null,
    region: base?.region ?? null,
    provider_model: base?.provider_model ?? null,
    rule: null,
  };
}

/** Distinct SKUs in one file are few (hundreds) while rows are millions: map each SKU once. */
const MEMO_LIMIT = 50_000;

export function skuMapper(mapping: SkuMapping, read: (provider: string, sku: string | null) => { name: string; meaning: SkuMeaning | null }) {
  const memo = new Map<string, MappedSku>();
  return (provider: string, sku: string | null): MappedSku => {
    const key = `${provider}\u0000${sku ?? '\u0001'}`;
    const known = memo.get(key);
    if (known) return known;
    const mapped = mapSku(mapping, provider, sku, read(provider, sku));
    if (memo.size < MEMO_LIMIT) memo.set(key, mapped);
    return mapped;
  };
}
