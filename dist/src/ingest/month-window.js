// Which months of a ledger file are its own. One row dated 2099 in a May export is a clock or
// export bug, not 877 months of traffic: storing it would create a partition for every month in
// between. The file's months are the month holding most of its good rows (the earliest of equals)
// and, in turn, every month with rows within `window` months of one already taken (so a quarter's
// export keeps its three months, and a row a few hours into the next month stays). Rows of other
// months are rejected with the reason below.
const index = (month) => Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1;
/** `counts`: good rows per UTC month. */
export function judgeMonths(counts, window) {
    const months = [...counts.keys()].filter((m) => (counts.get(m) ?? 0) > 0).sort();
    if (months.length === 0)
        return { accepted: [], rejected: [] };
    let principal = months[0];
    for (const month of months)
        if (counts.get(month) > counts.get(principal))
            principal = month;
    const taken = new Set([principal]);
    for (let grew = true; grew;) {
        grew = false;
        for (const month of months) {
            if (taken.has(month))
                continue;
            if ([...taken].some((t) => Math.abs(index(t) - index(month)) <= Math.max(window, 0))) {
                taken.add(month);
                grew = true;
            }
        }
    }
    return { accepted: months.filter((m) => taken.has(m)), rejected: months.filter((m) => !taken.has(m)) };
}
export function outsideWindowReason(month, verdict, window) {
    const own = verdict.accepted;
    const span = own.length === 1 ? own[0] : `${own[0]}..${own[own.length - 1]}`;
    return `dated ${month}, more than ${window} month(s) from the file's other rows (${span}); if the date is right, ingest it in a file of its own month or raise ingest.monthWindow in the settings file`;
}
