import { Decimal } from "../money.js";
/** Markup that is already safe: made only by `html` and `raw` (SVG from the chart renderer). */
export class SafeHtml {
    text;
    constructor(text) {
        this.text = text;
    }
    toString() {
        return this.text;
    }
}
/** HTML-escapes text for element content and quoted attributes. */
export function escapeHtml(text) {
    return text.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}
function render(part) {
    if (part === null || part === undefined || part === false)
        return '';
    if (part instanceof SafeHtml)
        return part.text;
    if (Array.isArray(part))
        return part.map(render).join('');
    return escapeHtml(String(part));
}
/**
 * The one way pages are written: every interpolated value is escaped unless it is SafeHtml, so
 * team names, tags and request ids from the ledger (untrusted) can never become markup.
 */
export function html(strings, ...values) {
    let out = strings[0];
    values.forEach((value, i) => {
        out += render(value) + strings[i + 1];
    });
    return new SafeHtml(out);
}
/** Trusted markup (the chart renderer's SVG). */
export const raw = (text) => new SafeHtml(text);
/** A path with every segment percent-encoded: /periods/P/disputes/TEAM.xlsx. */
export function href(...segments) {
    return '/' + segments.map((s) => encodeURIComponent(s)).join('/');
}
/** $1,234.56 from a decimal string (to the cent, negative with a minus sign). */
export function usd(text) {
    if (text === null || text === undefined || text === '')
        return '—';
    const value = new Decimal(text);
    const [whole, frac] = value.abs().toFixed(2).split('.');
    return `${value.isNegative() && !value.abs().toFixed(2).match(/^0\.00$/) ? '−' : ''}$${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${frac}`;
}
/** 1,234,567 from an integer or decimal string (rounded to whole units). */
export function count(text) {
    if (text === null || text === undefined || text === '')
        return '—';
    return new Decimal(text).toFixed(0).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
/** 41.6% from a fraction string (0.416). */
export function share(text) {
    if (text === null || text === undefined)
        return '—';
    return `${new Decimal(text).times(100).toFixed(1)}%`;
}
export const when = (d) => (d ? new Date(d).toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : '');
