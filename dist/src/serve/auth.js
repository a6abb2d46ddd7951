import crypto from 'node:crypto';
const digest = (token) => crypto.createHash('sha256').update(token).digest();
/**
 * Tokens from settings (http.tokens) and from RECON_API_TOKENS: comma-separated `token` (read)
 * or `token:rerun` (read and POST reruns). Only digests are kept in memory.
 */
export function parseTokens(settingsTokens, envTokens) {
    const tokens = settingsTokens.map((t) => ({ name: t.name, rerun: t.rerun, digest: digest(t.token) }));
    (envTokens ?? '')
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean)
        .forEach((entry, i) => {
        const [token, right, extra] = entry.split(':');
        if (!token || extra !== undefined || (right !== undefined && right !== 'rerun')) {
            throw new Error(`RECON_API_TOKENS entry ${i + 1} must be "token" or "token:rerun"`);
        }
        if (token.length < 16)
            throw new Error(`RECON_API_TOKENS entry ${i + 1} is shorter than 16 characters; use a long random token`);
        tokens.push({ name: `env-${i + 1}`, rerun: right === 'rerun', digest: digest(token) });
    });
    return tokens;
}
// RFC 6750 b64token / RFC 7617 token68: one credential, nothing after it.
const CREDENTIALS = /^([A-Za-z]+) +([A-Za-z0-9\-._~+/]+=*)$/;
/**
 * The presented credential: `Authorization: Bearer T`, or Basic with T as the password. Anything
 * else in the header (a second word, a second scheme) is no credential at all.
 */
export function presentedToken(authorization) {
    if (!authorization)
        return undefined;
    const match = CREDENTIALS.exec(authorization.trim());
    if (!match)
        return undefined;
    const scheme = match[1].toLowerCase();
    const value = match[2];
    if (scheme === 'bearer')
        return value;
    if (scheme === 'basic') {
        const decoded = Buffer.from(value, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        return colon >= 0 ? decoded.slice(colon + 1) : undefined;
    }
    return undefined;
}
/** The token matching `presented`, compared in constant time against every configured one. */
export function authenticate(tokens, presented) {
    if (!presented)
        return undefined;
    const d = digest(presented);
    let found;
    for (const token of tokens)
        if (crypto.timingSafeEqual(token.digest, d))
            found = token;
    return found;
}
// A working day at the month-end: long enough for a close, short enough that a forgotten
// browser does not stay signed in for good.
const SESSION_MS = 12 * 60 * 60 * 1000;
/** Signed-in browsers of this process (a restart signs everyone out; the tokens stay the same). */
export function createSessions(now = Date.now) {
    const sessions = new Map();
    return {
        create(token) {
            for (const [id, s] of sessions)
                if (s.expires <= now())
                    sessions.delete(id);
            const session = { id: crypto.randomBytes(32).toString('base64url'), token, csrf: crypto.randomBytes(24).toString('base64url'), expires: now() + SESSION_MS };
            sessions.set(session.id, session);
            return session;
        },
        get(id) {
            if (!id)
                return undefined;
            const session = sessions.get(id);
            if (!session)
                return undefined;
            if (session.expires <= now()) {
                sessions.delete(id);
                return undefined;
            }
            return session;
        },
        destroy(id) {
            sessions.delete(id);
        },
    };
}
/** Constant-time equality of two strings (CSRF tokens). */
export function sameSecret(a, b) {
    if (a === undefined)
        return false;
    const x = crypto.createHash('sha256').update(a).digest();
    const y = crypto.createHash('sha256').update(b).digest();
    return crypto.timingSafeEqual(x, y);
}
/** The cookies of a request, by name (first wins). */
export function parseCookies(header) {
    const cookies = new Map();
    for (const part of (header ?? '').split(';')) {
        const eq = part.indexOf('=');
        if (eq <= 0)
            continue;
        const name = part.slice(0, eq).trim();
        if (!cookies.has(name))
            cookies.set(name, part.slice(eq + 1).trim());
    }
    return cookies;
}
