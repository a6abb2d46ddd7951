import { Decimal } from "../../money.js";
// Shared helpers of the provider parsers: exact decimals from text, UTC days, invoice ids, units.
const DECIMAL_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
/** An exact decimal from its text form (exponents allowed, as APIs write 1.2e-05), or null when not a number. */
export function parseDecimal(text) {
    if (text === null || text === undefined)
        return null;
    const trimmed = text.trim();
    if (!DECIMAL_TEXT.test(trimmed))
        return null;
    return new Decimal(trimmed);
}
/** Plain decimal text without exponent or trailing noise ("1.50" stays "1.5"). */
export function decimalText(value) {
    return value.toFixed();
}
/** True for the empty cell, JSON null and the literal NULL some exports write. */
export function isBlank(value) {
    return value === null || value === undefined || value.trim() === '' || value.trim().toUpperCase() === 'NULL';
}
export function blankToNull(value) {
    return isBlank(value) ? null : value.trim();
}
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(:(\d{2})(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
function validDay(day) {
    const m = DAY.exec(day);
    if (!m)
        return false;
    const date = new Date(`${day}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === day;
}
/**
 * The UTC day (YYYY-MM-DD) of a date or timestamp as exports write them: `2026-05-01`,
 * `2026-05-01T00:00:00Z`, `2026-05-01 22:00:00` (no offset = UTC, as CUR and FOCUS mean it),
 * `2026-05-01T02:00:00+02:00` (converted to UTC). Null when unreadable.
 */
export function utcDay(text) {
    if (isBlank(text))
        return null;
    const trimmed = text.trim();
    if (DAY.test(trimmed))
        return validDay(trimmed) ? trimmed : null;
    // US month/day/year, as in the FOCUS specification's examples (4/1/25).
    const us = /^(\d{1,2})\/(\d{1,2})\/(\d{2}|\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$/.exec(trimmed);
    if (us) {
        const year = us[3].length === 2 ? `20${us[3]}` : us[3];
        const day = `${year}-${us[1].padStart(2, '0')}-${us[2].padStart(2, '0')}`;
        return validDay(day) ? day : null;
    }
    const m = TIMESTAMP.exec(trimmed);
    if (!m)
        return null;
    const day = m[1];
    if (!validDay(day))
        return null;
    const offset = m[7];
    if (!offset || offset.toUpperCase() === 'Z')
        return day;
    const parsed = new Date(trimmed.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    if (Number.isNaN(parsed.getTime()))
        return null;
    return parsed.toISOString().slice(0, 10);
}
/** The UTC day of a Unix time in seconds, given as text (OpenAI bucket start_time). */
export function utcDayFromEpochSeconds(text) {
    if (isBlank(text) || !/^\d{1,12}$/.test(text.trim()))
        return null;
    const date = new Date(Number(text.trim()) * 1000);
    return Number.isNaN(date.getTime()) ? null : date.toISOString().slice(0, 10);
}
/**
 * The invoice id when an export has none: `<provider>-<YYYY-MM>` of the billing period, so all
 * lines of one provider and month belong to one invoice (e.g. `openai-2026-05`).
 */
export function periodInvoiceId(provider, dayOrMonth) {
    return `${provider}-${dayOrMonth.slice(0, 7)}`;
}
/** Tier names across providers to recon's tiers; null when unknown (the caller decides). */
export function normaliseTier(value) {
    if (isBlank(value))
        return 'standard';
    switch (value.trim().toLowerCase()) {
        case 'standard':
        case 'default':
        case 'auto':
        case 'on_demand':
        case 'on-demand':
            return 'standard';
        case 'batch':
            return 'batch';
        case 'flex':
        case 'flex_discount':
            return 'flex';
        case 'priority':
        case 'priority_on_demand':
            return 'priority';
        default:
            return null;
    }
}
/**
 * How many single units one unit of a pricing / quantity unit is: `1K tokens` → 1000,
 * `1M Tokens` → 1000000, `tokens` → 1. Null when the unit says nothing we can trust: the
 * quantity is then left empty rather than guessed (Azure mixes per-1K and per-1M meters).
 */
export function unitMultiplier(unit) {
    if (isBlank(unit))
        return null;
    const u = unit.trim().toLowerCase().replace(/_/g, ' ');
    const scaled = /^(\d[\d,]*(?:\.\d+)?)\s*([km]|thousand|million)?\b/.exec(u);
    const mentionsUnit = /token|request|call|count|unit/.test(u) || /^\d[\d,]*\s*[km]?$/.test(u);
    if (scaled && (mentionsUnit || scaled[2])) {
        const base = new Decimal(scaled[1].replace(/,/g, ''));
        const scale = scaled[2] === 'k' || scaled[2] === 'thousand' ? 1000 : scaled[2] === 'm' || scaled[2] === 'million' ? 1_000_000 : 1;
        return base.times(scale);
    }
    if (/^(k|thousand)\s*tokens?$/.test(u))
        return new Decimal(1000);
    if (/^(m|million)\s*tokens?$/.test(u))
        return new Decimal(1_000_000);
    if (/^(tokens?|requests?|calls?|count|units?)$/.test(u))
        return new Decimal(1);
    return null;
}
/** The line type of a non-usage line from its amount when the export only says "adjustment". */
export function adjustmentLineType(amount) {
    return amount.isNegative() ? 'discount' : 'fee';
}
