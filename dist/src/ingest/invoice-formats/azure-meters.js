// Built-in reading of Azure OpenAI / Foundry meter names (FOCUS `x_SkuMeterName` / `SkuMeter`).
// Microsoft names them inconsistently — `gpt 4o 0513 Input global Tokens`,
// `gpt-4o-mini-0718-Inp-glbl Tokens`, `GPT 5 Inpt Glbl`, `gpt 4.5 0227 cached Inp DZone` — so
// the meter is normalised word by word (Inp/Input/Inpt, glbl/global, …) and the model words
// are looked up in a table keyed without separators ("gpt4omini0718").
/** Model words (lower-case, separators removed) → canonical model id. */
export const AZURE_MODELS = {
    'gpt4o0513': 'gpt-4o-2024-05-13',
    'gpt4o0806': 'gpt-4o-2024-08-06',
    'gpt4o1120': 'gpt-4o-2024-11-20',
    'gpt4omini0718': 'gpt-4o-mini-2024-07-18',
    'gpt4.10414': 'gpt-4.1-2025-04-14',
    'gpt4.1mini0414': 'gpt-4.1-mini-2025-04-14',
    'gpt4.1nano0414': 'gpt-4.1-nano-2025-04-14',
    'gpt4.50227': 'gpt-4.5-preview-2025-02-27',
    'gpt5': 'gpt-5-2025-08-07',
    'gpt50807': 'gpt-5-2025-08-07',
    'gpt5mini': 'gpt-5-mini-2025-08-07',
    'gpt5mini0807': 'gpt-5-mini-2025-08-07',
    'gpt5nano': 'gpt-5-nano-2025-08-07',
    'gpt5nano0807': 'gpt-5-nano-2025-08-07',
    'o11217': 'o1-2024-12-17',
    'o1mini0912': 'o1-mini-2024-09-12',
    'o3mini0131': 'o3-mini-2025-01-31',
    'o30416': 'o3-2025-04-16',
    'o4mini0416': 'o4-mini-2025-04-16',
    'gpt35turbo4k': 'gpt-3.5-turbo',
    'gpt35turbo16k': 'gpt-3.5-turbo-16k',
    'gpt35turbo0125': 'gpt-3.5-turbo-0125',
    'gpt48k': 'gpt-4',
    'gpt432k': 'gpt-4-32k',
    'r1': 'DeepSeek-R1',
    'deepseekr1': 'DeepSeek-R1',
    'deepseekv3': 'DeepSeek-V3',
};
const WORDS = {
    inp: { kind: 'direction', category: 'input' },
    input: { kind: 'direction', category: 'input' },
    inpt: { kind: 'direction', category: 'input' },
    outp: { kind: 'direction', category: 'output' },
    output: { kind: 'direction', category: 'output' },
    outpt: { kind: 'direction', category: 'output' },
    out: { kind: 'direction', category: 'output' },
    opt: { kind: 'direction', category: 'output' },
    cached: { kind: 'cached' },
    cd: { kind: 'cached' },
    wr: { kind: 'write' },
    write: { kind: 'write' },
    cchd: { kind: 'cached' },
    cache: { kind: 'cached' },
    glbl: { kind: 'scope', scope: 'global' },
    gl: { kind: 'scope', scope: 'global' },
    global: { kind: 'scope', scope: 'global' },
    regnl: { kind: 'scope', scope: 'regional' },
    regional: { kind: 'scope', scope: 'regional' },
    rgnl: { kind: 'scope', scope: 'regional' },
    dzone: { kind: 'scope', scope: 'datazone' },
    datazone: { kind: 'scope', scope: 'datazone' },
    dz: { kind: 'scope', scope: 'datazone' },
    batch: { kind: 'tier', tier: 'batch' },
    priority: { kind: 'tier', tier: 'priority' },
    pp: { kind: 'tier', tier: 'priority' },
    std: { kind: 'tier', tier: 'standard' },
    shortco: { kind: 'context', context: 'short' },
    longco: { kind: 'context', context: 'long' },
    aud: { kind: 'modality' },
    audio: { kind: 'modality' },
    img: { kind: 'modality' },
    image: { kind: 'modality' },
    tokens: { kind: 'noise' },
    token: { kind: 'noise' },
    tkns: { kind: 'noise' },
};
const VARIANTS = new Set(['mini', 'nano', 'pro', 'chat', 'codex', 'turbo']);
/**
 * An undated model named by its words (`gpt 4.1`, `5 mini`, `5.5`, `o4 mini`) → the vendor's
 * undated id (`gpt-4.1`, `gpt-5-mini`, `gpt-5.5`, `o4-mini`), which the run resolves to a dated
 * snapshot like any alias. Null for a word recon does not know (`5.6 luna`): the line keeps its
 * category and tier and is reported unmapped under that model word.
 */
export function undatedAzureModel(modelWords) {
    const words = modelWords[0] === 'gpt' ? modelWords.slice(1) : [...modelWords];
    const [version, ...rest] = words;
    if (!version || !rest.every((w) => VARIANTS.has(w)))
        return null;
    if (/^o\d+$/.test(version))
        return [version, ...rest].join('-');
    if (!/^\d+(\.\d+)?o?$/.test(version))
        return null;
    return ['gpt', version, ...rest].join('-');
}
export function readAzureMeter(meter) {
    const words = meter.trim().toLowerCase().replace(/[-_]+/g, ' ').split(/\s+/).filter(Boolean);
    const modelWords = [];
    let category = null;
    let cached = false;
    let scope = null;
    let tier = 'standard';
    let write = false;
    let context = null;
    let modality = false;
    let seenKeyword = false;
    for (const word of words) {
        const meaning = WORDS[word];
        if (!meaning) {
            if (!seenKeyword)
                modelWords.push(word);
            continue;
        }
        if (meaning.kind === 'noise')
            continue;
        seenKeyword = true;
        if (meaning.kind === 'direction')
            category = meaning.category;
        else if (meaning.kind === 'cached')
            cached = true;
        else if (meaning.kind === 'write')
            write = true;
        else if (meaning.kind === 'context')
            context = meaning.context;
        else if (meaning.kind === 'scope')
            scope = meaning.scope;
        else if (meaning.kind === 'tier')
            tier = meaning.tier;
        else
            modality = true;
    }
    if (category === null || modelWords.length === 0)
        return null;
    if (write && category === 'input')
        category = 'cache_write_5m';
    else if (cached && category === 'input')
        category = 'cached_input';
    const key = modelWords.join('');
    return {
        model: AZURE_MODELS[key] ?? AZURE_MODELS[`gpt${key}`] ?? undatedAzureModel(modelWords),
        token_category: modality ? null : category,
        service_tier: tier,
        region: null,
        provider_model: modelWords.join(' '),
        scope,
        context,
    };
}
