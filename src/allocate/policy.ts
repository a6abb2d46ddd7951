import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { UserError } from '../command-context.ts';

/**
 * The written allocation policy: how the invoice is charged to owners. A file (JSON or YAML)
 * validated here; every field has a documented default so `loadPolicy(undefined)` is the
 * default policy. The whole effective policy is recorded with each run.
 */

const share = z
  .string()
  .regex(/^(0(\.\d+)?|1(\.0+)?)$/, 'must be a share between 0 and 1 written as a string, e.g. "0.95"');

const nameText = z.string().trim().min(1, 'must not be empty');

export const policySchema = z
  .object({
    /** recorded with every run so a number can be traced to the rules that made it */
    version: nameText.default('default-1'),
    /** the owner that absorbs what no team owns (untagged spend, unmatched invoice amounts) */
    platform_bucket: nameText.default('platform'),
    /** where amounts kept central go (discounts, credits, variance, tax under `central`); default: the platform bucket */
    central_bucket: nameText.optional(),
    /** untagged spend and invoice amounts with no ledger records: bucket | proportional | even */
    untagged: z.enum(['bucket', 'proportional', 'even']).default('bucket'),
    /** failed attempts and retries: charged to the team that made them, or to the platform bucket */
    retries: z.enum(['owner', 'platform']).default('owner'),
    /** invoice-level discounts and credits: spread over allocated spend, or kept central */
    discounts_and_credits: z.enum(['proportional', 'central']).default('proportional'),
    /** tax and fee lines: spread over allocated spend, or kept central */
    tax_and_fees: z.enum(['proportional', 'central']).default('proportional'),
    /** the difference invoice − priced ledger in each cell: carried by the cell's owners, or kept central */
    residual_variance: z.enum(['proportional', 'central']).default('proportional'),
    /**
     * Whether the allocation follows what each cause found (issue "Allocation follows the
     * evidence"). owner: the cause's dollars go to the owners of the records it names; bucket:
     * they are left where the logged cells put them (billed cells without records fall to the
     * bucket as unmatched_invoice).
     */
    causes: z
      .object({
        /** billed in another tier than logged: the owners of the records billed as batch */
        batch_tier: z.enum(['owner', 'bucket']).default('owner'),
        /** billed in another cache category than logged: the owners of the mis-logged writes */
        cache_pricing: z.enum(['owner', 'bucket']).default('owner'),
        /** billed as the requested model after a fallback: the owner whose request fell back */
        fallback_drift: z.enum(['owner', 'bucket']).default('owner'),
        /** billed under another model name: the owners of that model's records */
        model_alias: z.enum(['owner', 'bucket']).default('owner'),
        /** usage of partial streams billed but not logged: the owners of the partial streams */
        streaming_partial: z.enum(['owner', 'bucket']).default('owner'),
        /** failed attempts: unbilled_free charges nothing for those the provider did not bill; pro_rata weighs every attempt */
        retry_billing: z.enum(['unbilled_free', 'pro_rata']).default('unbilled_free'),
      })
      .strict()
      .prefault({}),
    /** provisioned capacity and commitments (docs/commitments.md) */
    commitments: z
      .object({
        /**
         * the idle part of each committed hour: share (over the owners by their share of the
         * commitment's usage in the month), bucket (the platform bucket), separate (its own owner line)
         */
        idle: z.enum(['share', 'bucket', 'separate']).default('separate'),
        /** the owner line idle capacity goes to under idle: separate */
        idle_owner: nameText.default('idle-capacity'),
      })
      .strict()
      .prefault({}),
    chargeback: z
      .object({
        /** false keeps every team in showback whatever its numbers */
        enabled: z.boolean().default(true),
        /** share of the team's charge from tagged, priced, reconciled records needed for chargeback */
        min_attributable_share: share.default('0.95'),
        /** chargeback only when the team's reconciliation variance is below this share of its priced cost */
        max_variance_share: share.default('0.02'),
        /** every gateway key the team's records used must have a named owner in the key map */
        require_key_owners: z.boolean().default(true),
        /** the team must be in the owners file with a cost center to post a charge to */
        require_cost_center: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type AllocationPolicy = z.infer<typeof policySchema>;

export const defaultPolicy: AllocationPolicy = policySchema.parse({});

/** The owner that takes amounts kept central. */
export function centralBucket(policy: AllocationPolicy): string {
  return policy.central_bucket ?? policy.platform_bucket;
}

/** Validates a parsed policy value; errors name the path of each bad field. */
export function parsePolicy(value: unknown, source = 'policy'): AllocationPolicy {
  const result = policySchema.safeParse(value ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new UserError(`${source} is not a valid allocation policy: ${problems}`, 'fix the field(s) named above; `recon policy check FILE` validates a policy file, README.md ("The policy file") lists every option');
  }
  return result.data;
}

export function loadPolicy(file: string | undefined): AllocationPolicy {
  if (!file) return defaultPolicy;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read policy file ${file}: ${(error as Error).message}`, 'check the path given with --policy or RECON_POLICY_FILE');
  }
  let value: unknown;
  const isJson = path.extname(file).toLowerCase() === '.json';
  try {
    value = isJson ? JSON.parse(text) : YAML.parse(text);
  } catch (error) {
    throw new UserError(`policy file ${file} is not valid ${isJson ? 'JSON' : 'YAML'}: ${(error as Error).message}`, 'fix the syntax; a YAML example is in README.md ("The policy file") and config/policy.example.yaml');
  }
  return parsePolicy(value, `policy file ${file}`);
}
