import { Decimal, ZERO, sum } from '../money.ts';
import { periodBounds, type Period } from '../period.ts';
import { splitLines } from './split.ts';
import type { AllocationRowText } from '../allocate/queries.ts';

/**
 * The allocation as a FOCUS 1.3 Cost and Usage dataset, pure: invoice lines (the origin charges)
 * and the run's allocation rows in, one allocated charge per line × owner out. Column meanings
 * follow the FOCUS 1.3 column definitions (focus.finops.org, FOCUS_Spec
 * specification/datasets/cost_and_usage/columns); README "FOCUS export" has the mapping.
 */

/** One invoice line (amount and quantity as exact text; amount and currency in the run's reporting currency, src/fx). */
export interface OriginLine {
  id: string;
  provider: string;
  invoice_id: string;
  charge_date: string;
  provider_model: string | null;
  model: string | null;
  token_category: string | null;
  service_tier: string;
  region: string | null;
  quantity: string | null;
  amount: string;
  currency: string;
  line_type: 'usage' | 'discount' | 'credit' | 'tax' | 'fee';
  sku: string | null;
  account_ref: string | null;
  /** the commitment the line bills under (src/commitments); absent or null: none */
  commitment_id?: string | null;
}

/** One run_allocation row (owned by src/allocate). */
export type OwnerCharge = AllocationRowText;

export interface RunFacts {
  runId: string;
  period: Period;
  inputsHash: string | null;
  policyId: string;
}

export type FocusValue = string | null;
export type FocusRow = Record<string, FocusValue>;

/** Column order of the export (FOCUS columns, then recon's x_ columns). */
export const FOCUS_COLUMNS = [
  'AllocatedMethodDetails', 'AllocatedMethodId', 'AllocatedResourceId', 'AllocatedResourceName', 'AllocatedTags',
  'BilledCost', 'BillingAccountId', 'BillingAccountName', 'BillingCurrency', 'BillingPeriodEnd', 'BillingPeriodStart',
  'ChargeCategory', 'ChargeClass', 'ChargeDescription', 'ChargeFrequency', 'ChargePeriodEnd', 'ChargePeriodStart',
  'ConsumedQuantity', 'ConsumedUnit', 'ContractApplied', 'ContractedCost', 'ContractedUnitPrice', 'EffectiveCost',
  'HostProviderName', 'InvoiceId', 'InvoiceIssuerName', 'ListCost', 'ListUnitPrice', 'PricingCategory', 'PricingQuantity', 'PricingUnit',
  'ProviderName', 'PublisherName', 'RegionId', 'RegionName', 'ResourceId', 'ResourceName', 'ResourceType',
  'ServiceCategory', 'ServiceName', 'ServiceProviderName', 'ServiceSubcategory', 'SkuId', 'SkuPriceId', 'SubAccountId', 'SubAccountName', 'Tags',
  'x_RunId', 'x_InputsHash', 'x_OriginChargeId', 'x_OriginBilledCost', 'x_Component', 'x_Cause', 'x_Model', 'x_TokenCategory', 'x_ServiceTier',
] as const;

/** Who provides, hosts and invoices each provider's models (FOCUS 1.3 ServiceProviderName / HostProviderName / InvoiceIssuerName). */
interface Parties {
  serviceName: string;
  host: string;
  issuer: string;
}

const PARTIES: Readonly<Record<string, Parties>> = {
  openai: { serviceName: 'OpenAI API', host: 'OpenAI', issuer: 'OpenAI' },
  anthropic: { serviceName: 'Claude API', host: 'Anthropic', issuer: 'Anthropic' },
  bedrock: { serviceName: 'Amazon Bedrock', host: 'Amazon Web Services', issuer: 'Amazon Web Services' },
  azure: { serviceName: 'Azure OpenAI', host: 'Microsoft', issuer: 'Microsoft' },
  azure_openai: { serviceName: 'Azure OpenAI', host: 'Microsoft', issuer: 'Microsoft' },
  vertex: { serviceName: 'Vertex AI', host: 'Google Cloud', issuer: 'Google' },
  google: { serviceName: 'Gemini API', host: 'Google', issuer: 'Google' },
};

/** The model's maker: on a hosting platform (Bedrock, Azure, Vertex) the service provider is the model vendor. */
export function serviceProvider(provider: string, model: string | null): string {
  const m = (model ?? '').toLowerCase();
  if (/(^|[./])(anthropic|claude)/.test(m)) return 'Anthropic';
  if (/(^|[./])(gpt|o\d|openai|text-embedding|whisper|dall-e)/.test(m)) return 'OpenAI';
  if (/(^|[./])(gemini|google)/.test(m)) return 'Google';
  if (/(^|[./])(llama|meta)/.test(m)) return 'Meta';
  if (/(^|[./])(mistral|mixtral)/.test(m)) return 'Mistral AI';
  if (/(^|[./])(amazon|titan|nova)/.test(m)) return 'Amazon Web Services';
  return PARTIES[provider]?.host ?? provider;
}

const CHARGE_CATEGORY: Readonly<Record<OriginLine['line_type'], string>> = {
  usage: 'Usage',
  tax: 'Tax',
  credit: 'Credit',
  // a discount or a fee on an AI invoice is neither usage nor a purchase: FOCUS's catch-all
  discount: 'Adjustment',
  fee: 'Adjustment',
};

const ADJUSTMENTS = new Set(['discount', 'credit', 'tax', 'fee']);
// A commitment's flat lines are split over the rows the run allocated from that commitment, nothing
// else; a line a commitment claims now that the run did not allocate by it (a run from before the
// import) stays in its line type's pool, as the run allocated it.
const poolOfLine = (l: OriginLine, committed: ReadonlySet<string>) =>
  l.commitment_id && committed.has(`${l.provider}\u0000${l.invoice_id}\u0000${l.commitment_id}`) ? `commitment:${l.commitment_id}` : l.line_type === 'usage' ? 'usage' : l.line_type;
const poolOfCharge = (c: OwnerCharge) => (c.commitment_id ? `commitment:${c.commitment_id}` : ADJUSTMENTS.has(c.component) ? c.component : 'usage');

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const dayStart = (day: string) => `${day}T00:00:00Z`;
const nextDay = (day: string) => iso(new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000));

/** A decimal as FOCUS NumericFormat text: plain digits, no exponent, no trailing zeros past the point. */
export function numeric(d: Decimal): string {
  const text = d.toFixed();
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

const money = (d: Decimal) => d.toFixed(2);

/** JSON object text with values written as given (numbers stay exact decimals, not floats). */
function jsonObject(entries: [string, string | null, 'number' | 'string'][]): string {
  return `{${entries
    .filter(([, v]) => v !== null)
    .map(([k, v, kind]) => `${JSON.stringify(k)}:${kind === 'number' ? v : JSON.stringify(v)}`)
    .join(',')}}`;
}

interface Owner {
  key: string;
  charge: OwnerCharge;
  amount: Decimal;
  basis: Decimal;
}

/** run_allocation rows of one pool summed per owner × component × cause (the model is the origin line's). */
function owners(charges: OwnerCharge[]): Owner[] {
  const byKey = new Map<string, Owner>();
  for (const c of charges) {
    const key = [c.team, c.cost_center ?? '', c.service ?? '', c.workflow ?? '', c.component, c.cause ?? ''].join('\u0000');
    const o = byKey.get(key);
    if (o) {
      o.amount = o.amount.plus(c.amount);
      o.basis = o.basis.plus(c.basis);
    } else byKey.set(key, { key, charge: c, amount: new Decimal(c.amount), basis: new Decimal(c.basis) });
  }
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** One allocated charge before it becomes a FOCUS row. */
export interface AllocatedPart {
  line: OriginLine;
  owner: OwnerCharge | null;
  billed: Decimal;
  ratio: Decimal;
  basis: Decimal;
}

/**
 * Splits every origin line over the owners the allocation charged for it: per invoice, usage
 * lines over the usage-type rows (usage, retry, untagged, variance, unmatched, dispute) and each
 * adjustment type over the rows of that type. Each line's parts add back to it exactly; each
 * owner's parts add back to its run_allocation amount exactly when the pool's lines and rows
 * agree to the cent (they differ only by the allocation's per-invoice rounding of cents across
 * pools, and then the owners' targets are rescaled to the pool's lines first).
 */
export function allocateLines(lines: readonly OriginLine[], charges: readonly OwnerCharge[]): AllocatedPart[] {
  const groups = new Map<string, { lines: OriginLine[]; charges: OwnerCharge[] }>();
  const invoiceCharges = new Map<string, OwnerCharge[]>();
  const group = (key: string) => {
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { lines: [], charges: [] }));
    return g;
  };
  const committed = new Set(charges.filter((c) => c.commitment_id).map((c) => `${c.provider}\u0000${c.invoice_id}\u0000${c.commitment_id}`));
  for (const l of lines) group(`${l.provider}\u0000${l.invoice_id}\u0000${poolOfLine(l, committed)}`).lines.push(l);
  for (const c of charges) {
    const inv = `${c.provider}\u0000${c.invoice_id}`;
    invoiceCharges.set(inv, [...(invoiceCharges.get(inv) ?? []), c]);
    const g = groups.get(`${inv}\u0000${poolOfCharge(c)}`);
    if (g) g.charges.push(c);
  }
  const parts: AllocatedPart[] = [];
  for (const key of [...groups.keys()].sort()) {
    const g = groups.get(key)!;
    if (g.lines.length === 0) continue;
    const sorted = g.lines.slice().sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)));
    const amounts = sorted.map((l) => new Decimal(l.amount));
    const dp = Math.max(2, ...amounts.map((a) => a.decimalPlaces()));
    const lineTotal = sum(amounts);
    let pool = owners(g.charges);
    // a pool without rows of its own (a line type the allocation folded elsewhere) follows the invoice's owners
    if (pool.length === 0) pool = owners(invoiceCharges.get(`${sorted[0]!.provider}\u0000${sorted[0]!.invoice_id}`) ?? []);
    if (pool.length === 0) {
      for (const l of sorted) parts.push({ line: l, owner: null, billed: new Decimal(l.amount), ratio: new Decimal(1), basis: ZERO });
      continue;
    }
    const ownerTotal = sum(pool.map((o) => o.amount));
    const targets = ownerTotal.equals(lineTotal) || ownerTotal.isZero()
      ? pool.map((o) => o.amount)
      : rescale(pool.map((o) => o.amount), pool.map((o) => o.key), lineTotal, dp);
    const split = splitLines(amounts, targets, pool.map((o) => o.key), dp);
    sorted.forEach((line, i) => {
      pool.forEach((o, j) => {
        const billed = split.parts[i]![j]!;
        const ratio = split.ratios[i]![j]!;
        if (billed.isZero() && ratio.isZero()) return;
        parts.push({ line, owner: o.charge, billed, ratio, basis: o.basis });
      });
    });
  }
  return parts;
}

function rescale(amounts: Decimal[], keys: string[], target: Decimal, dp: number): Decimal[] {
  const total = sum(amounts);
  const scale = new Decimal(10).pow(dp);
  const exact = amounts.map((a) => a.times(target).dividedBy(total));
  const floors = exact.map((x) => x.times(scale).floor());
  let left = target.times(scale).minus(sum(floors)).toNumber();
  const order = exact.map((x, i) => ({ i, r: x.times(scale).minus(floors[i]!), k: keys[i]! })).sort((a, b) => b.r.comparedTo(a.r) || (a.k < b.k ? -1 : 1));
  const out = floors.slice();
  for (const { i } of order) {
    if (left <= 0) break;
    out[i] = out[i]!.plus(1);
    left -= 1;
  }
  return out.map((x) => x.dividedBy(scale));
}

const UNIT: Readonly<Record<string, string>> = { request: 'Requests' };

/** The owner an allocated part went to, as the export log keys it ('|'-joined: jsonb and text columns refuse NUL). */
export function ownerKey(p: AllocatedPart): string {
  const o = p.owner;
  return o ? [o.team, o.cost_center ?? '', o.service ?? '', o.workflow ?? '', o.component, o.cause ?? ''].join('|') : '(unallocated)';
}

/** FOCUS rows for the allocated parts of one run. `chargeClass` 'Correction' marks rerun corrections. */
export function focusRows(parts: readonly AllocatedPart[], run: RunFacts, chargeClass: 'Correction' | null = null): FocusRow[] {
  const { start, end } = periodBounds(run.period);
  return parts.map((p) => {
    const l = p.line;
    const o = p.owner;
    const parties = PARTIES[l.provider] ?? { serviceName: l.provider, host: l.provider, issuer: l.provider };
    const sp = serviceProvider(l.provider, l.model ?? l.provider_model);
    const usage = l.line_type === 'usage';
    const originQuantity = l.quantity === null ? ZERO : new Decimal(l.quantity);
    const originAmount = new Decimal(l.amount);
    // the line's own unit price: what the invoice charged per unit (FOCUS ListCost = ListUnitPrice × PricingQuantity)
    const unitPrice = usage && !originQuantity.isZero() ? originAmount.dividedBy(originQuantity).toDecimalPlaces(12, Decimal.ROUND_HALF_UP) : usage ? ZERO : null;
    const quantity = usage ? originQuantity.times(p.ratio).toDecimalPlaces(6, Decimal.ROUND_HALF_UP) : null;
    const unit = usage ? (UNIT[l.token_category ?? ''] ?? 'Tokens') : null;
    const skuPriceId = usage ? [l.provider, l.sku ?? l.provider_model ?? l.model ?? 'unmapped', l.token_category ?? 'unmapped', l.service_tier].join(':') : null;
    const billed = money(p.billed);
    const tags = o
      ? jsonObject([
          ['recon/team', o.team, 'string'],
          ['recon/cost_center', o.cost_center, 'string'],
          ['recon/service', o.service, 'string'],
          ['recon/workflow', o.workflow, 'string'],
        ])
      : null;
    const commitment = o?.commitment_id ?? null;
    const details = o
      ? `{"Elements":[${jsonObject([
          ['AllocatedRatio', numeric(p.ratio), 'number'],
          ['UsageUnit', 'USD', 'string'],
          ['UsageQuantity', numeric(p.basis), 'number'],
          ['x_Basis', commitment
            ? "the commitment's hours: used by the owner's share of their tokens, idle by policy commitments.idle"
            : 'priced-ledger cost of the owner on this invoice', 'string'],
          ['x_Component', o.component, 'string'],
          ['x_Cause', o.cause, 'string'],
          ['x_Rule', o.rule, 'string'],
        ])}]}`
      : null;
    const row: FocusRow = {
      AllocatedMethodDetails: details,
      AllocatedMethodId: o ? run.policyId : null,
      AllocatedResourceId: o ? o.team : null,
      AllocatedResourceName: o ? o.team : null,
      AllocatedTags: tags,
      BilledCost: billed,
      BillingAccountId: l.account_ref ?? `${l.provider}:default`,
      BillingAccountName: null,
      BillingCurrency: l.currency,
      BillingPeriodEnd: iso(end),
      BillingPeriodStart: iso(start),
      ChargeCategory: CHARGE_CATEGORY[l.line_type],
      ChargeClass: chargeClass,
      ChargeDescription: [l.line_type, l.model ?? l.provider_model ?? l.sku, l.token_category, usage ? l.service_tier : null].filter(Boolean).join(' '),
      ChargeFrequency: usage ? 'Usage-Based' : 'One-Time',
      ChargePeriodEnd: nextDay(l.charge_date),
      ChargePeriodStart: dayStart(l.charge_date),
      ConsumedQuantity: quantity === null ? null : numeric(quantity),
      ConsumedUnit: unit,
      // FOCUS 1.3 ContractApplied: the commitment (recon's contract and its one commitment) this charge draws on
      ContractApplied: commitment
        ? `{"Elements":[${jsonObject([
            ['ContractID', commitment, 'string'],
            ['ContractCommitmentID', commitment, 'string'],
            ['ContractCommitmentAppliedCost', billed, 'number'],
            ['x_Component', o!.component, 'string'],
          ])}]}`
        : null,
      ContractedCost: billed,
      ContractedUnitPrice: unitPrice === null ? null : numeric(unitPrice),
      EffectiveCost: billed,
      HostProviderName: parties.host,
      InvoiceId: l.invoice_id,
      InvoiceIssuerName: parties.issuer,
      ListCost: billed,
      ListUnitPrice: unitPrice === null ? null : numeric(unitPrice),
      PricingCategory: usage ? 'Standard' : null,
      PricingQuantity: quantity === null ? null : numeric(quantity),
      PricingUnit: unit,
      ProviderName: sp,
      PublisherName: sp,
      RegionId: l.region,
      RegionName: l.region,
      ResourceId: null,
      ResourceName: null,
      ResourceType: null,
      ServiceCategory: 'AI and Machine Learning',
      ServiceName: parties.serviceName,
      ServiceProviderName: sp,
      ServiceSubcategory: 'Generative AI',
      SkuId: usage ? (l.sku ?? l.provider_model ?? l.model) : null,
      SkuPriceId: skuPriceId,
      SubAccountId: null,
      SubAccountName: null,
      Tags: null,
      x_RunId: run.runId,
      x_InputsHash: run.inputsHash,
      x_OriginChargeId: l.id,
      x_OriginBilledCost: money(originAmount),
      x_Component: o ? o.component : null,
      x_Cause: o ? o.cause : null,
      x_Model: l.model,
      x_TokenCategory: l.token_category,
      x_ServiceTier: usage ? l.service_tier : null,
    };
    return row;
  });
}

/** CSV text (RFC 4180): header, one line per row; null is an empty field; money stays exact text. */
export function focusCsv(rows: readonly FocusRow[]): string {
  const field = (v: FocusValue) => (v === null ? '' : /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const out = [FOCUS_COLUMNS.join(',')];
  for (const r of rows) out.push(FOCUS_COLUMNS.map((c) => field(r[c] ?? null)).join(','));
  return out.join('\r\n') + '\r\n';
}
