import { Decimal } from "../money.js";
// Chart specs (Vega-Lite), pure: plain data in, a spec out. The web pages render them to SVG
// (render.ts); the workbooks can embed the same charts as images.
//
// Money arrives as exact decimal strings. A chart needs positions, so amounts become JS numbers
// here and only here, for geometry; every figure a reader sees as text is the exact string,
// passed through as a label.
const toNumber = (text) => new Decimal(text).toNumber();
const FONT = 'DejaVu Sans, Verdana, sans-serif';
const BASE = { config: { font: FONT, view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 11 } }, background: 'white' };
/**
 * The variance waterfall: the priced ledger total, each cause as a step, and the invoice total
 * where the steps end (ledger + causes = invoice, to the cent).
 */
export function varianceWaterfallSpec(input) {
    let level = new Decimal(input.ledgerTotal);
    const rows = [
        { label: 'Priced ledger', start: 0, end: toNumber(input.ledgerTotal), kind: 'total', text: input.ledgerTotal, order: 0 },
    ];
    input.causes.forEach((c, i) => {
        const next = level.plus(c.amount);
        rows.push({ label: c.label, start: level.toNumber(), end: next.toNumber(), kind: new Decimal(c.amount).isNegative() ? 'lowers' : 'raises', text: c.amount, order: i + 1 });
        level = next;
    });
    rows.push({ label: 'Invoice', start: 0, end: toNumber(input.invoiceTotal), kind: 'total', text: input.invoiceTotal, order: rows.length });
    return {
        ...BASE,
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        title: 'Variance waterfall: priced ledger + causes = invoice (USD)',
        width: input.width ?? Math.max(360, rows.length * 70),
        height: 260,
        data: { values: rows },
        encoding: {
            x: { field: 'label', type: 'nominal', sort: { field: 'order' }, title: null, axis: { labelAngle: -30, labelLimit: 140 } },
        },
        layer: [
            {
                mark: { type: 'bar', size: 36 },
                encoding: {
                    y: { field: 'start', type: 'quantitative', title: 'USD' },
                    y2: { field: 'end' },
                    color: { field: 'kind', type: 'nominal', title: null, scale: { domain: ['total', 'raises', 'lowers'], range: ['#57606a', '#cf222e', '#1a7f37'] }, legend: { orient: 'top' } },
                },
            },
            {
                mark: { type: 'text', dy: -6, fontSize: 10 },
                encoding: { y: { field: 'end', type: 'quantitative' }, text: { field: 'text', type: 'nominal' } },
            },
        ],
    };
}
/** Charges by team: allocated USD per team, coloured by mode (showback or chargeback). */
export function chargesByTeamSpec(teams) {
    const rows = teams.map((t) => ({ team: t.team, amount: toNumber(t.allocated), text: t.allocated, mode: t.mode ?? 'none' }));
    return {
        ...BASE,
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        title: 'Charges by team (USD)',
        width: 420,
        height: Math.max(60, rows.length * 22),
        data: { values: rows },
        encoding: { y: { field: 'team', type: 'nominal', sort: '-x', title: null, axis: { labelLimit: 160 } } },
        layer: [
            {
                mark: 'bar',
                encoding: {
                    x: { field: 'amount', type: 'quantitative', title: 'USD' },
                    color: { field: 'mode', type: 'nominal', title: 'mode', scale: { domain: ['chargeback', 'showback', 'none'], range: ['#1a7f37', '#bf8700', '#8c959f'] }, legend: { orient: 'top' } },
                },
            },
            { mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 }, encoding: { x: { field: 'amount', type: 'quantitative' }, text: { field: 'text', type: 'nominal' } } },
        ],
    };
}
/** Invoice against priced ledger, by day. */
export function invoiceLedgerByDaySpec(days) {
    const rows = days.flatMap((d) => [
        { day: d.day, series: 'invoice', amount: toNumber(d.invoice) },
        { day: d.day, series: 'priced ledger', amount: toNumber(d.ledger) },
    ]);
    return {
        ...BASE,
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        title: 'Invoice against priced ledger, by day (USD)',
        width: 520,
        height: 220,
        data: { values: rows },
        mark: { type: 'line', point: true },
        encoding: {
            x: { field: 'day', type: 'temporal', timeUnit: 'utcyearmonthdate', title: null, axis: { format: '%d %b' } },
            y: { field: 'amount', type: 'quantitative', title: 'USD' },
            color: { field: 'series', type: 'nominal', title: null, scale: { domain: ['invoice', 'priced ledger'], range: ['#0969da', '#bf8700'] }, legend: { orient: 'top' } },
        },
    };
}
/** Month over month: invoice and priced ledger of each period's current run. */
export function monthOverMonthSpec(periods) {
    const rows = periods.flatMap((p) => [
        { period: p.period, series: 'invoice', amount: toNumber(p.invoice), text: p.invoice },
        { period: p.period, series: 'priced ledger', amount: toNumber(p.ledger), text: p.ledger },
    ]);
    return {
        ...BASE,
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        title: 'Month over month (USD)',
        width: Math.max(200, periods.length * 80),
        height: 200,
        data: { values: rows },
        mark: 'bar',
        encoding: {
            x: { field: 'period', type: 'ordinal', title: null, axis: { labelAngle: 0 } },
            xOffset: { field: 'series' },
            y: { field: 'amount', type: 'quantitative', title: 'USD' },
            color: { field: 'series', type: 'nominal', title: null, scale: { domain: ['invoice', 'priced ledger'], range: ['#0969da', '#bf8700'] }, legend: { orient: 'top' } },
            tooltip: [{ field: 'period' }, { field: 'series' }, { field: 'text', title: 'USD' }],
        },
    };
}
