import fs from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { UserError } from "../../command-context.js";
// The SKU mapping: a provider's meter / usage type / line item → (canonical model, token
// category, service tier, region). Built-in rules per provider live beside each parser
// (openai-line-items.ts, bedrock-usage-types.ts, azure-meters.ts); a user file extends or
// overrides them. User rules are tried first, in file order; the first match wins.
export const TOKEN_CATEGORIES = ['input', 'cached_input', 'cache_write_5m', 'cache_write_1h', 'output', 'request'];
export const SERVICE_TIERS = ['standard', 'batch', 'flex', 'priority'];
export const EMPTY_MAPPING = { rules: [] };
const HINT = 'Fix the mapping file (columns: provider, pattern, model, token_category, service_tier, region) and run the command again.';
function text(value) {
    if (value === null || value === undefined)
        return null;
    const s = String(value).trim();
    return s === '' ? null : s;
}
/** Parses the text of a user mapping file (JSON array / {rules:[…]}, or CSV with a header). */
export function parseSkuMapping(content, fileName) {
    const base = path.basename(fileName);
    let rows;
    const trimmed = content.replace(/^\uFEFF/, '').trim();
    if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
        let parsed;
        try {
            parsed = JSON.parse(trimmed);
        }
        catch (error) {
            throw new UserError(`mapping file ${base} is not valid JSON: ${error.message}`, HINT);
        }
        const list = Array.isArray(parsed) ? parsed : parsed.rules;
        if (!Array.isArray(list))
            throw new UserError(`mapping file ${base} must hold a JSON array of rules (or {"rules": [...]})`, HINT);
        rows = list;
    }
    else {
        try {
            rows = parseCsv(trimmed, { columns: (h) => h.map((c) => c.trim().toLowerCase()), skip_empty_lines: true, relax_column_count: true });
        }
        catch (error) {
            throw new UserError(`mapping file ${base} is not valid CSV: ${error.message}`, HINT);
        }
    }
    const rules = rows.map((row, i) => toRule(row, `${base}:${i + 1}`));
    return { rules };
}
function toRule(row, label) {
    if (!row || typeof row !== 'object')
        throw new UserError(`mapping rule ${label} is not an object`, HINT);
    const pattern = text(row.pattern);
    if (!pattern)
        throw new UserError(`mapping rule ${label} has no pattern`, HINT);
    let regex = null;
    const regexForm = /^\/(.*)\/([a-z]*)$/s.exec(pattern);
    if (regexForm) {
        try {
            regex = new RegExp(regexForm[1], regexForm[2].includes('i') ? 'i' : '');
        }
        catch (error) {
            throw new UserError(`mapping rule ${label}: pattern ${pattern} is not a valid regular expression (${error.message})`, HINT);
        }
    }
    const category = text(row.token_category);
    if (category !== null && !TOKEN_CATEGORIES.includes(category)) {
        throw new UserError(`mapping rule ${label}: token_category "${category}" is not one of ${TOKEN_CATEGORIES.join(', ')}`, HINT);
    }
    const tier = text(row.service_tier);
    if (tier !== null && !SERVICE_TIERS.includes(tier)) {
        throw new UserError(`mapping rule ${label}: service_tier "${tier}" is not one of ${SERVICE_TIERS.join(', ')}`, HINT);
    }
    const provider = text(row.provider);
    return {
        provider: provider === '*' ? null : provider,
        pattern,
        regex,
        model: text(row.model),
        token_category: category,
        service_tier: tier,
        region: text(row.region),
        label,
    };
}
/** Reads the user mapping file named by `--mapping`, or the empty mapping. */
export function loadSkuMapping(file) {
    if (!file)
        return EMPTY_MAPPING;
    let content;
    try {
        content = fs.readFileSync(file, 'utf8');
    }
    catch (error) {
        throw new UserError(`cannot read mapping file ${file}: ${error.code ?? error.message}`, 'Check the path given to --mapping.');
    }
    return parseSkuMapping(content, file);
}
function matchRule(rule, provider, sku) {
    if (rule.provider !== null && rule.provider !== provider)
        return null;
    if (rule.regex)
        return rule.regex.exec(sku);
    return rule.pattern.trim().toLowerCase() === sku.trim().toLowerCase() ? true : null;
}
function substitute(template, match) {
    if (template === null || match === true)
        return template;
    return template.replace(/\$(\d)/g, (_, n) => match[Number(n)] ?? '');
}
/**
 * Maps one SKU: the first user rule that matches overrides the built-in meaning field by
 * field (a user rule that gives only `model` keeps the built-in category, tier and region).
 * The result is mapped only when it names both a model and a token category.
 */
export function mapSku(mapping, provider, sku, builtin) {
    const base = builtin.meaning;
    if (sku !== null) {
        for (const rule of mapping.rules) {
            const match = matchRule(rule, provider, sku);
            if (!match)
                continue;
            const meaning = {
                model: substitute(rule.model, match) ?? base?.model ?? null,
                token_category: rule.token_category ?? base?.token_category ?? null,
                service_tier: rule.service_tier ?? base?.service_tier ?? null,
                region: substitute(rule.region, match) ?? base?.region ?? null,
                provider_model: base?.provider_model ?? null,
            };
            return { ...meaning, rule: meaning.model && meaning.token_category ? `user:${rule.label}` : null };
        }
    }
    if (base && base.model && base.token_category)
        return { ...base, rule: `builtin:${builtin.name}` };
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
export function skuMapper(mapping, read) {
    const memo = new Map();
    return (provider, sku) => {
        const key = `${provider}\u0000${sku ?? '\u0001'}`;
        const known = memo.get(key);
        if (known)
            return known;
        const mapped = mapSku(mapping, provider, sku, read(provider, sku));
        if (memo.size < MEMO_LIMIT)
            memo.set(key, mapped);
        return mapped;
    };
}
