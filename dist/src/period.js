const PERIOD_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;
export function parsePeriod(text) {
    if (!PERIOD_PATTERN.test(text))
        throw new Error(`period must be YYYY-MM (got "${text}")`);
    return text;
}
export function isPeriod(text) {
    return PERIOD_PATTERN.test(text);
}
/** Half-open UTC bounds [start, end) of the month. */
export function periodBounds(period) {
    const [year, month] = period.split('-').map(Number);
    return { start: new Date(Date.UTC(year, month - 1, 1)), end: new Date(Date.UTC(year, month, 1)) };
}
/** First and last day as 'YYYY-MM-DD' text (the form Postgres `date` is read in). */
export function periodDays(period) {
    const { start, end } = periodBounds(period);
    const count = Math.round((end.getTime() - start.getTime()) / 86_400_000);
    const last = new Date(end.getTime() - 86_400_000);
    return { first: start.toISOString().slice(0, 10), last: last.toISOString().slice(0, 10), count };
}
export function previousPeriod(period) {
    const { start } = periodBounds(period);
    return periodOf(new Date(start.getTime() - 86_400_000));
}
export function periodOf(instant) {
    return parsePeriod(instant.toISOString().slice(0, 7));
}
/** [start, end) cut into `parts` ranges of whole UTC days (fewer when the period is shorter). */
export function dayRanges(start, end, parts) {
    const dayMs = 86_400_000;
    const from = new Date(start).getTime();
    const to = new Date(end).getTime();
    const days = Math.max(1, Math.ceil((to - from) / dayMs));
    const count = Math.max(1, Math.min(parts, days));
    const cuts = Array.from({ length: count + 1 }, (_, i) => (i === count ? to : Math.min(to, from + Math.round((days * i) / count) * dayMs)));
    return cuts.slice(1).map((cut, i) => [new Date(cuts[i]).toISOString(), new Date(cut).toISOString()]);
}
