// Built-in reading of Bedrock CUR `line_item_usage_type` values:
//   USE1-Claude4.5Sonnet-input-tokens, USW2-Claude4.6Sonnet-cache-read-input-token-count,
//   USE1-Claude4Sonnet-input-tokens-cross-region-global, USE1-NovaLite-output-tokens-batch,
//   USW2-anthropic.claude-opus-4-8-mantle-cache-write-tokens-standard.
// The CUR's model token is a marketing name; the table below turns it into the vendor's id.
/** AWS usage-type region codes (the prefix before the first dash). */
export const AWS_REGION_CODES = {
    USE1: 'us-east-1', USE2: 'us-east-2', USW1: 'us-west-1', USW2: 'us-west-2',
    UGW1: 'us-gov-west-1', UGE1: 'us-gov-east-1', CAN1: 'ca-central-1', CAN2: 'ca-west-1',
    EU: 'eu-west-1', EUW1: 'eu-west-1', EUW2: 'eu-west-2', EUW3: 'eu-west-3', EUC1: 'eu-central-1', EUC2: 'eu-central-2',
    EUN1: 'eu-north-1', EUS1: 'eu-south-1', EUS2: 'eu-south-2',
    APN1: 'ap-northeast-1', APN2: 'ap-northeast-2', APN3: 'ap-northeast-3', APS1: 'ap-southeast-1',
    APS2: 'ap-southeast-2', APS3: 'ap-south-1', APS4: 'ap-southeast-3', APS5: 'ap-south-2', APS6: 'ap-southeast-4',
    APE1: 'ap-east-1', SAE1: 'sa-east-1', MES1: 'me-south-1', MEC1: 'me-central-1', AFS1: 'af-south-1', ILC1: 'il-central-1',
};
/** CUR model tokens (lower-cased) → canonical model id (the vendor's own id, as on the vendor's API). */
export const BEDROCK_MODELS = {
    'claude4.5sonnet': 'claude-sonnet-4-5-20250929',
    'claude4.6sonnet': 'claude-sonnet-4-6',
    'claude4sonnet': 'claude-sonnet-4-20250514',
    'claude4opus': 'claude-opus-4-20250514',
    'claude4.1opus': 'claude-opus-4-1-20250805',
    'claude4.5opus': 'claude-opus-4-5-20251101',
    'claude4.5haiku': 'claude-haiku-4-5-20251001',
    'claude3.7sonnet': 'claude-3-7-sonnet-20250219',
    'claude3.5sonnetv2': 'claude-3-5-sonnet-20241022',
    'claude3.5sonnet': 'claude-3-5-sonnet-20240620',
    'claude3.5haiku': 'claude-3-5-haiku-20241022',
    'claude3haiku': 'claude-3-haiku-20240307',
    'claude3opus': 'claude-3-opus-20240229',
    'claude3sonnet': 'claude-3-sonnet-20240229',
    'novalite': 'nova-lite',
    'novapro': 'nova-pro',
    'novamicro': 'nova-micro',
    'novapremier': 'nova-premier',
    'nova2.0lite': 'nova-2-lite',
    'nova2lite': 'nova-2-lite',
};
const TIER_SUFFIX = { batch: 'batch', flex: 'flex', priority: 'priority', standard: 'standard' };
const CATEGORY_PART = [
    { re: /^cache-read-input-token-count$|^cache-read-(input-)?tokens$/, category: 'cached_input' },
    { re: /^cache-write-1h-input-token-count$|^cache-write-1h-(input-)?tokens$/, category: 'cache_write_1h' },
    { re: /^cache-write-input-token-count$|^cache-write-(5m-)?(input-)?tokens$/, category: 'cache_write_5m' },
    { re: /^input-tokens$/, category: 'input' },
    { re: /^output-tokens$/, category: 'output' },
];
const USAGE_TYPE = /^(?:([A-Z]{2,4}\d?)-)?(.+?)-(mantle-)?((?:cache-(?:read|write)(?:-1h|-5m)?-)?(?:input-token-count|input-tokens|output-tokens|tokens))(?:-(.+))?$/i;
export function bedrockModel(token) {
    const key = token.trim().toLowerCase();
    const known = BEDROCK_MODELS[key];
    if (known)
        return known;
    // Claude<major>.<minor><Family> → claude-<family>-<major>-<minor>, Anthropic's undated id (the run
    // resolves it to a snapshot like any alias); the table above holds the ids that carry a date.
    const claude = /^claude(\d+)(?:\.(\d+))?(opus|sonnet|haiku)$/.exec(key);
    if (claude) {
        const [, major, minor, family] = claude;
        const version = minor ? `${major}-${minor}` : major;
        return Number(major) >= 4 ? `claude-${family}-${version}` : `claude-${version}-${family}`;
    }
    // Mantle usage types carry the Bedrock model id itself (anthropic.claude-opus-4-8): drop the vendor prefix.
    const id = /^(?:[a-z]{2}\.)?(?:anthropic|amazon|meta|mistral|cohere|ai21|deepseek|openai|qwen|writer)\.(.+?)(?:-v\d+(?::\d+)?)?$/.exec(key);
    return id ? id[1] : null;
}
export function readBedrockUsageType(usageType) {
    const m = USAGE_TYPE.exec(usageType.trim());
    if (!m)
        return null;
    const regionCode = m[1]?.toUpperCase() ?? null;
    const modelToken = m[2];
    const mantle = !!m[3];
    const categoryPart = m[4].toLowerCase();
    const suffix = (m[5] ?? '').toLowerCase();
    const category = CATEGORY_PART.find((c) => c.re.test(categoryPart))?.category ?? null;
    let tier = 'standard';
    for (const part of suffix.split('-').filter(Boolean)) {
        const t = TIER_SUFFIX[part];
        if (t)
            tier = t;
        else if (!['cross', 'region', 'global', 'geo', 'inference', 'profile'].includes(part))
            tier = null;
    }
    if (mantle && suffix === '')
        tier = 'standard';
    return {
        model: bedrockModel(modelToken),
        token_category: category,
        service_tier: tier,
        region: regionCode ? (AWS_REGION_CODES[regionCode] ?? null) : null,
        provider_model: modelToken,
    };
}
// Claude bought through AWS Marketplace is billed as a Marketplace product: the usage type names
// only the meter (`USW2-MP:USW2_InputTokenCount-Units`) and the model is in product_product_name
// ("Claude Opus 4.6 (Amazon Bedrock Edition)"). recon keys such a line by both, written
// `<usage type> (<product name>)`, so the SKU mapping can tell one model's meter from another's.
const MP_USAGE_TYPE = /^(?:([A-Z]{2,4}\d?)-)?MP:(?:[A-Z]{2,4}\d?_)?([A-Za-z0-9]+?)(?:-Units?)?$/;
const MP_METERS = [
    { re: /^cachereadinputtokencount$|^cachereadtokens?$/, category: 'cached_input' },
    { re: /^cachewrite1hinputtokencount$/, category: 'cache_write_1h' },
    { re: /^cachewrite(5m)?inputtokencount$|^cachewritetokens?$/, category: 'cache_write_5m' },
    { re: /^inputtokencount$|^inputtokens?$/, category: 'input' },
    { re: /^outputtokencount$|^outputtokens?$/, category: 'output' },
];
export function marketplaceSku(usageType, productName) {
    return MP_USAGE_TYPE.test(usageType.trim()) ? `${usageType.trim()} (${productName?.trim() ?? ''})` : null;
}
/** The model token (`Claude4.6Opus`) of a Marketplace product name, null when it names no Claude model. */
export function marketplaceModelToken(productName) {
    const m = /claude\s+(?:(\d+(?:\.\d+)?)\s+(opus|sonnet|haiku)|(opus|sonnet|haiku)\s+(\d+(?:\.\d+)?))/i.exec(productName);
    if (!m)
        return null;
    const version = m[1] ?? m[4];
    const family = (m[2] ?? m[3]).toLowerCase();
    return `Claude${version}${family[0].toUpperCase()}${family.slice(1)}`;
}
export function readMarketplaceSku(sku) {
    const parts = /^(\S+) \((.*)\)$/.exec(sku.trim());
    if (!parts)
        return null;
    const m = MP_USAGE_TYPE.exec(parts[1]);
    if (!m)
        return null;
    const meter = m[2].toLowerCase();
    const batch = meter.includes('batch');
    const category = MP_METERS.find((c) => c.re.test(meter.replace('batch', '')))?.category ?? null;
    const token = marketplaceModelToken(parts[2]);
    const regionCode = m[1]?.toUpperCase() ?? null;
    return {
        model: token ? bedrockModel(token) : null,
        token_category: category,
        service_tier: batch ? 'batch' : 'standard',
        region: regionCode ? (AWS_REGION_CODES[regionCode] ?? null) : null,
        provider_model: token ?? (parts[2] || null),
    };
}
