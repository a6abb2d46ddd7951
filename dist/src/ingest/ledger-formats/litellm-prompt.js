// What LiteLLM's `prompt_tokens` holds, row by row. LiteLLM reports usage in OpenAI's shape, where
// prompt_tokens include cached tokens, but its releases did not always fold Anthropic's separate
// counts (input_tokens, cache_read_input_tokens, cache_creation_input_tokens) in the same way:
// - before prompt caching was mapped (2024-08/09) prompt_tokens were Anthropic's uncached input;
// - from the fix of BerriAI/litellm#9812 (2025-04) the Anthropic transformation added cache reads
//   but no longer cache writes, and #9838 did the same on Bedrock Converse; Anthropic writes came
//   back into prompt_tokens around 2025-09, Bedrock's with #15292 (2025-10-07);
// - otherwise prompt_tokens hold uncached input, cache reads and cache writes.
// Taking a writes-excluded row as inclusive undercounts its input; taking an inclusive row as
// writes-excluded charges its writes twice. The counts decide where they can (see readPrompt).
/** How a row's prompt_tokens were read: what they held, so what recon added to get all input. */
export const PROMPT_READINGS = ['writes_included', 'writes_excluded', 'cache_excluded'];
/**
 * What decided the reading: the row's own numbers (`counts`: prompt_tokens smaller than what they
 * would have to include; `text_tokens`: the uncached count LiteLLM gives beside them;
 * `total_tokens`: a total that counts the writes prompt_tokens lack), or, for a row they leave
 * open, the other rows of the file (`file`), --litellm-cache-writes (`flag`) or the default.
 */
export const READING_BASES = ['counts', 'text_tokens', 'total_tokens', 'file', 'flag', 'default'];
/** --litellm-cache-writes: how rows whose numbers leave it open are read. */
export const CACHE_WRITES_FLAGS = ['auto', 'included', 'excluded'];
/**
 * The reading of one row's prompt_tokens that its numbers decide; `undecided` when both inclusive
 * and writes-excluded fit them; null when there is nothing to read two ways (no cache writes, and
 * prompt_tokens at least the cache reads).
 */
export function readPrompt(c) {
    const { prompt, cacheRead, cacheWrites } = c;
    if (prompt < cacheRead)
        return { reading: 'cache_excluded', basis: 'counts' };
    if (cacheWrites === 0n)
        return null;
    if (prompt < cacheRead + cacheWrites)
        return { reading: 'writes_excluded', basis: 'counts' };
    if (c.text !== null) {
        if (c.text === prompt - cacheRead - cacheWrites)
            return { reading: 'writes_included', basis: 'text_tokens' };
        if (c.text === prompt - cacheRead)
            return { reading: 'writes_excluded', basis: 'text_tokens' };
    }
    // Bedrock's totalTokens counts the writes whatever prompt_tokens held; a total that is
    // prompt + completion proves nothing (streamed responses recompute it that way).
    if (c.total !== null && cacheWrites > 0n && c.total === prompt + c.completion + cacheWrites)
        return { reading: 'writes_excluded', basis: 'total_tokens' };
    return 'undecided';
}
/** All input tokens (recon's input_tokens) under a reading. */
export function allInput(c, reading) {
    if (reading === 'writes_excluded')
        return c.prompt + c.cacheWrites;
    if (reading === 'cache_excluded')
        return c.prompt + c.cacheRead + c.cacheWrites;
    return c.prompt;
}
/**
 * The reading for an undecided row of `provider`: the flag's, or under `auto` the one every row of
 * the same provider in the file that the numbers decided had (a file comes from one proxy, usually
 * one release), else inclusive, LiteLLM's convention before and after the writes-excluded releases.
 */
export function settleUndecided(flag, decided) {
    if (flag === 'included')
        return { reading: 'writes_included', basis: 'flag' };
    if (flag === 'excluded')
        return { reading: 'writes_excluded', basis: 'flag' };
    if (decided && decided.size === 1) {
        const only = [...decided][0];
        if (only === 'writes_included' || only === 'writes_excluded')
            return { reading: only, basis: 'file' };
    }
    return { reading: 'writes_included', basis: 'default' };
}
const LINES_KEPT = 10;
export class PromptReadings {
    counts = new Map();
    note(reading, basis, line) {
        const key = `${reading}/${basis}`;
        let count = this.counts.get(key);
        if (!count)
            this.counts.set(key, (count = { reading, basis, rows: 0, lines: [] }));
        count.rows += 1;
        if (count.lines.length < LINES_KEPT)
            count.lines.push(line);
    }
    list() {
        const order = (c) => PROMPT_READINGS.indexOf(c.reading) * 10 + READING_BASES.indexOf(c.basis);
        return [...this.counts.values()].sort((a, b) => order(a) - order(b)).map((c) => ({ ...c, lines: [...c.lines].sort((x, y) => x - y) }));
    }
}
