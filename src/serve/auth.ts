import crypto from 'node:crypto';
import type { Settings } from '../settings.ts';

export interface ApiToken {
  name: string;
  rerun: boolean;
  digest: Buffer;
}

const digest = (token: string) => crypto.createHash('sha256').update(token).digest();

/**
 * Tokens from settings (http.tokens) and from RECON_API_TOKENS: comma-separated `token` (read)
 * or `token:rerun` (read and POST reruns). Only digests are kept in memory.
 */
export function parseTokens(settingsTokens: Settings['http']['tokens'], envTokens: string | undefined): ApiToken[] {
  const tokens: ApiToken[] = settingsTokens.map((t) => ({ name: t.name, rerun: t.rerun, digest: digest(t.token) }));
  (envTokens ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .forEach((entry, i) => {
      const [token, right, extra] = entry.split(':');
      if (!token || extra !== undefined || (right !== undefined && right !== 'rerun')) {
        throw new Error(`RECON_API_TOKENS entry ${i + 1} must be "token" or "token:rerun"`);
      }
      if (token.length < 16) throw new Error(`RECON_API_TOKENS entry ${i + 1} is shorter than 16 characters; use a long random token`);
      tokens.push({ name: `env-${i + 1}`, rerun: right === 'rerun', digest: digest(token) });
    });
  return tokens;
}

/** The presented credential: `Authorization: Bearer T`, or Basic with T as the password (browsers). */
export function presentedToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const [scheme, value] = authorization.split(/\s+/, 2);
  if (!value) return undefined;
  if (scheme?.toLowerCase() === 'bearer') return value;
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

/** The token matching `presented`, compared in constant time against every configured one. */
export function authenticate(tokens: ApiToken[], presented: string | undefined): ApiToken | undefined {
  if (!presented) return undefined;
  const d = digest(presented);
  let found: ApiToken | undefined;
  for (const token of tokens) if (crypto.timingSafeEqual(token.digest, d)) found = token;
  return found;
}
