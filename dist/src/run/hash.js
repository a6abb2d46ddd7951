import crypto from 'node:crypto';
/** JSON with object keys sorted at every level, so equal values always hash alike. */
export function stableStringify(value) {
    if (value === null || typeof value !== 'object')
        return JSON.stringify(value ?? null);
    if (value instanceof Date)
        return JSON.stringify(value.toISOString());
    if (Array.isArray(value))
        return `[${value.map(stableStringify).join(',')}]`;
    const entries = Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}
export function sha256Hex(text) {
    return crypto.createHash('sha256').update(text).digest('hex');
}
export function hashValue(value) {
    return sha256Hex(stableStringify(value));
}
