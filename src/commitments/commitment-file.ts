import crypto from 'node:crypto';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { normalizeProvider } from '../ingest/ledger-formats/normalize.ts';

/**
 * The commitments file (README "Commitments", docs/commitments.md): YAML (primary) or JSON, a
 * list of entries under `commitments:` (or a bare list). Pure: text in, the valid entries and one
 * error per bad entry out, so a file with one bad row says which and why, and nothing is stored.
 */

export const COMMITMENT_KINDS = ['ptu', 'provisioned_throughput', 'committed_spend', 'prepaid_credit'] as const;
export type CommitmentKind = (typeof COMMITMENT_KINDS)[number];
export const PRICE_PER = ['hour', 'month', 'term'] as const;

const decimal = z
  .union([z.string(), z.number()])
  .transform((v) => String(v).trim())
  .refine((v) => /^\d+(\.\d+)?$/.test(v), 'must be a non-negative decimal number, e.g. "2.00"');
const text = z.string().trim().min(1, 'must not be empty');
/** A day (midnight UTC) or an RFC 3339 instant; YAML may hand over a Date. */
const instant = z.union([z.string(), z.date()]).transform((v, ctx) => {
  const raw = v instanceof Date ? v.toISOString() : v.trim();
  const value = /^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw;
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(ms)) {
    ctx.addIssue({ code: 'custom', message: 'must be a day YYYY-MM-DD or an instant like 2026-05-01T00:00:00Z' });
    return z.NEVER;
  }
  return new Date(ms).toISOString();
});

const entrySchema = z
  .object({
    id: text,
    provider: text,
    kind: z.enum(COMMITMENT_KINDS),
    deployment: text.optional(),
    model: text.optional(),
    region: text.optional(),
    quantity: decimal.refine((v) => Number(v) > 0, 'must be greater than 0'),
    unit: text,
    /** exactly one of the three */
    price_per_hour: decimal.optional(),
    price_per_month: decimal.optional(),
    price_per_term: decimal.optional(),
    capacity_tokens_per_hour: decimal.refine((v) => Number(v) > 0, 'must be greater than 0').optional(),
    effective_from: instant,
    effective_to: instant,
    bills_under: z.array(text).min(1, 'must name at least one invoice SKU or line text'),
  })
  .strict()
  .superRefine((e, ctx) => {
    if (!e.deployment && !e.model) ctx.addIssue({ code: 'custom', path: ['deployment'], message: 'name the deployment or the model that runs on the commitment' });
    const prices = [e.price_per_hour, e.price_per_month, e.price_per_term].filter((p) => p !== undefined);
    if (prices.length !== 1) ctx.addIssue({ code: 'custom', path: ['price_per_hour'], message: 'give exactly one of price_per_hour, price_per_month, price_per_term' });
    if (Date.parse(e.effective_to) <= Date.parse(e.effective_from)) ctx.addIssue({ code: 'custom', path: ['effective_to'], message: 'must be after effective_from (the range is [from, to))' });
  });

/** One commitment as stored. Money and quantities are decimal strings; instants ISO UTC. */
export interface Commitment {
  id: string;
  provider: string;
  kind: CommitmentKind;
  deployment: string | null;
  model: string | null;
  region: string | null;
  quantity: string;
  unit: string;
  price: string;
  price_per: (typeof PRICE_PER)[number];
  capacity_per_hour: string | null;
  effective_from: string;
  effective_to: string;
  bills_under: string[];
  content_hash: string;
}

export interface CommitmentFileError {
  /** 1-based position of the entry in the file */
  entry: number;
  id: string | null;
  problems: string[];
}

export interface ParsedCommitments {
  commitments: Commitment[];
  errors: CommitmentFileError[];
}

export function contentHash(c: Omit<Commitment, 'content_hash'>): string {
  const { id, provider, kind, deployment, model, region, quantity, unit, price, price_per, capacity_per_hour, effective_from, effective_to, bills_under } = c;
  const canonical = JSON.stringify([id, provider, kind, deployment, model, region, quantity, unit, price, price_per, capacity_per_hour, effective_from, effective_to, bills_under]);
  return crypto.createHash('sha256').update(canonical).digest('hex');
}

/** Parses the file's text; `file` names the format (.json is JSON, anything else YAML). */
export function parseCommitmentFile(textIn: string, file: string): ParsedCommitments | { syntax: string } {
  let value: unknown;
  const isJson = path.extname(file).toLowerCase() === '.json';
  try {
    value = isJson ? JSON.parse(textIn) : YAML.parse(textIn);
  } catch (error) {
    return { syntax: `${file} is not valid ${isJson ? 'JSON' : 'YAML'}: ${(error as Error).message}` };
  }
  const list = Array.isArray(value) ? value : (value as { commitments?: unknown } | null)?.commitments;
  if (!Array.isArray(list)) return { syntax: `${file} holds no list of commitments (expected a top-level "commitments:" list)` };
  const commitments: Commitment[] = [];
  const errors: CommitmentFileError[] = [];
  const seen = new Map<string, number>();
  list.forEach((raw, i) => {
    const idText = typeof (raw as { id?: unknown })?.id === 'string' ? ((raw as { id: string }).id.trim() || null) : null;
    const result = entrySchema.safeParse(raw);
    if (!result.success) {
      errors.push({ entry: i + 1, id: idText, problems: result.error.issues.map((issue) => `${issue.path.join('.') || '(entry)'}: ${issue.message}`) });
      return;
    }
    const e = result.data;
    const provider = normalizeProvider(e.provider) ?? e.provider;
    const previous = seen.get(e.id);
    if (previous !== undefined) {
      errors.push({ entry: i + 1, id: e.id, problems: [`id: ${e.id} is also entry ${previous}; ids must be unique in the file`] });
      return;
    }
    seen.set(e.id, i + 1);
    const pricePer = e.price_per_hour !== undefined ? 'hour' : e.price_per_month !== undefined ? 'month' : 'term';
    const base = {
      id: e.id,
      provider,
      kind: e.kind,
      deployment: e.deployment ?? null,
      model: e.model ?? null,
      region: e.region ?? null,
      quantity: e.quantity,
      unit: e.unit,
      price: (e.price_per_hour ?? e.price_per_month ?? e.price_per_term)!,
      price_per: pricePer,
      capacity_per_hour: e.capacity_tokens_per_hour ?? null,
      effective_from: e.effective_from,
      effective_to: e.effective_to,
      bills_under: [...new Set(e.bills_under)].sort(),
    } satisfies Omit<Commitment, 'content_hash'>;
    commitments.push({ ...base, content_hash: contentHash(base) });
  });
  return { commitments, errors };
}
