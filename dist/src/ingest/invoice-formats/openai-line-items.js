// Built-in reading of OpenAI Costs API `line_item` strings. In practice they are
// "<model>, <side>" ("gpt-4o-2024-08-06, input", "gpt-4o-mini, cached input",
// "gpt-4o-2024-08-06, batch output"), sometimes behind a surface ("batch | gpt-4o, input").
// Audio and image sides are priced apart from text and are left unmapped rather than
// folded into text prices.
const TOOL_FEES = /\b(web search|file search|code interpreter|vector store|container|computer use)\b/i;
/** True for a line item billing a tool, not tokens of a model (a fee line). */
export function isOpenAiToolFee(lineItem) {
    return TOOL_FEES.test(lineItem);
}
function tierFrom(words) {
    if (/\bbatch\b/.test(words))
        return 'batch';
    if (/\bflex\b/.test(words))
        return 'flex';
    if (/\b(priority|scale)\b/.test(words))
        return 'priority';
    return null;
}
function categoryFrom(side) {
    if (/\b(audio|image|video|training|characters?|minutes?|seconds?)\b/.test(side))
        return null;
    if (/\bcache(d)? ?(write|creation)\b|\bcache write\b/.test(side))
        return 'cache_write_5m';
    if (/\bcached\b|\bcache ?read\b/.test(side))
        return 'cached_input';
    if (/\b(input|prompt)\b/.test(side))
        return 'input';
    if (/\b(output|completion)\b/.test(side))
        return 'output';
    if (/\brequests?\b/.test(side))
        return 'request';
    return null;
}
export function readOpenAiLineItem(lineItem) {
    let rest = lineItem.trim();
    let surfaceTier = null;
    const surface = /^([^|]+)\|\s*(.+)$/.exec(rest);
    if (surface) {
        surfaceTier = tierFrom(surface[1].toLowerCase());
        rest = surface[2].trim();
    }
    const comma = rest.lastIndexOf(',');
    if (comma < 0)
        return null;
    const model = rest.slice(0, comma).trim();
    const side = rest.slice(comma + 1).trim().toLowerCase();
    if (!model || isOpenAiToolFee(lineItem))
        return null;
    return {
        model,
        token_category: categoryFrom(side),
        service_tier: tierFrom(side) ?? surfaceTier ?? 'standard',
        region: null,
        provider_model: model,
    };
}
