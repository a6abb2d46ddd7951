// FOCUS 1.3 column rules, written from the specification's column definitions
// (FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec, specification/datasets/cost_and_usage: the
// Columns table's "Allows Nulls" and "Data Type", each column's Requirements and "Allowed
// values"), not from recon's exporter. Each rule quotes the requirement it checks.
// Formats are the strict subset recon emits: NumericFormat as plain decimal text (no exponent),
// DateTimeFormat as ISO 8601 UTC with the Z suffix ('2024-01-01T00:00:00Z').

export type Row = Record<string, string | null>;

type DataType = 'Decimal' | 'String' | 'Date/Time' | 'JSON';
interface ColumnRule { type: DataType; nullable: boolean; mandatory: boolean }

/** Columns table of the Cost and Usage dataset (1.3): [type, allows nulls, feature level Mandatory]. */
export const COLUMNS: Record<string, ColumnRule> = {
  AllocatedMethodDetails: { type: 'JSON', nullable: true, mandatory: false },
  AllocatedMethodId: { type: 'String', nullable: true, mandatory: false },
  AllocatedResourceId: { type: 'String', nullable: true, mandatory: false },
  AllocatedResourceName: { type: 'String', nullable: true, mandatory: false },
  AllocatedTags: { type: 'JSON', nullable: true, mandatory: false },
  AvailabilityZone: { type: 'String', nullable: true, mandatory: false },
  BilledCost: { type: 'Decimal', nullable: false, mandatory: true },
  BillingAccountId: { type: 'String', nullable: false, mandatory: true },
  BillingAccountName: { type: 'String', nullable: true, mandatory: true },
  BillingAccountType: { type: 'String', nullable: false, mandatory: false },
  BillingCurrency: { type: 'String', nullable: false, mandatory: true },
  BillingPeriodEnd: { type: 'Date/Time', nullable: false, mandatory: true },
  BillingPeriodStart: { type: 'Date/Time', nullable: false, mandatory: true },
  CapacityReservationId: { type: 'String', nullable: true, mandatory: false },
  CapacityReservationStatus: { type: 'String', nullable: true, mandatory: false },
  ChargeCategory: { type: 'String', nullable: false, mandatory: true },
  ChargeClass: { type: 'String', nullable: true, mandatory: true },
  ChargeDescription: { type: 'String', nullable: true, mandatory: true },
  ChargeFrequency: { type: 'String', nullable: false, mandatory: false },
  ChargePeriodEnd: { type: 'Date/Time', nullable: false, mandatory: true },
  ChargePeriodStart: { type: 'Date/Time', nullable: false, mandatory: true },
  CommitmentDiscountCategory: { type: 'String', nullable: true, mandatory: false },
  CommitmentDiscountId: { type: 'String', nullable: true, mandatory: false },
  CommitmentDiscountName: { type: 'String', nullable: true, mandatory: false },
  CommitmentDiscountQuantity: { type: 'Decimal', nullable: true, mandatory: false },
  CommitmentDiscountStatus: { type: 'String', nullable: true, mandatory: false },
  CommitmentDiscountType: { type: 'String', nullable: true, mandatory: false },
  CommitmentDiscountUnit: { type: 'String', nullable: true, mandatory: false },
  ConsumedQuantity: { type: 'Decimal', nullable: true, mandatory: false },
  ConsumedUnit: { type: 'String', nullable: true, mandatory: false },
  ContractApplied: { type: 'JSON', nullable: true, mandatory: false },
  ContractedCost: { type: 'Decimal', nullable: false, mandatory: true },
  ContractedUnitPrice: { type: 'Decimal', nullable: true, mandatory: false },
  EffectiveCost: { type: 'Decimal', nullable: false, mandatory: true },
  HostProviderName: { type: 'String', nullable: true, mandatory: true },
  InvoiceId: { type: 'String', nullable: true, mandatory: false },
  InvoiceIssuerName: { type: 'String', nullable: false, mandatory: true },
  ListCost: { type: 'Decimal', nullable: false, mandatory: true },
  ListUnitPrice: { type: 'Decimal', nullable: true, mandatory: false },
  PricingCategory: { type: 'String', nullable: true, mandatory: false },
  PricingCurrency: { type: 'String', nullable: true, mandatory: false },
  PricingQuantity: { type: 'Decimal', nullable: true, mandatory: true },
  PricingUnit: { type: 'String', nullable: true, mandatory: true },
  ProviderName: { type: 'String', nullable: false, mandatory: true },
  PublisherName: { type: 'String', nullable: false, mandatory: true },
  RegionId: { type: 'String', nullable: true, mandatory: false },
  RegionName: { type: 'String', nullable: true, mandatory: false },
  ResourceId: { type: 'String', nullable: true, mandatory: false },
  ResourceName: { type: 'String', nullable: true, mandatory: false },
  ResourceType: { type: 'String', nullable: true, mandatory: false },
  ServiceCategory: { type: 'String', nullable: false, mandatory: true },
  ServiceName: { type: 'String', nullable: false, mandatory: true },
  ServiceProviderName: { type: 'String', nullable: false, mandatory: true },
  ServiceSubcategory: { type: 'String', nullable: false, mandatory: false },
  SkuId: { type: 'String', nullable: true, mandatory: false },
  SkuMeter: { type: 'String', nullable: true, mandatory: false },
  SkuPriceDetails: { type: 'JSON', nullable: true, mandatory: false },
  SkuPriceId: { type: 'String', nullable: true, mandatory: false },
  SubAccountId: { type: 'String', nullable: true, mandatory: false },
  SubAccountName: { type: 'String', nullable: true, mandatory: false },
  SubAccountType: { type: 'String', nullable: true, mandatory: false },
  Tags: { type: 'JSON', nullable: true, mandatory: false },
};

/** Conditional columns a data generator doing split cost allocation MUST present ("MUST be present ... when the data generator supports data generator-calculated split cost allocation"). */
export const ALLOCATION_COLUMNS = ['AllocatedMethodId', 'AllocatedResourceId', 'AllocatedResourceName', 'AllocatedTags'];

const CHARGE_CATEGORY = ['Usage', 'Purchase', 'Tax', 'Credit', 'Adjustment'];
const CHARGE_FREQUENCY = ['One-Time', 'Recurring', 'Usage-Based'];
const PRICING_CATEGORY = ['Standard', 'Dynamic', 'Committed', 'Other'];
const SERVICE_CATEGORY = ['AI and Machine Learning', 'Analytics', 'Business Applications', 'Compute', 'Databases', 'Developer Tools', 'Multicloud', 'Identity', 'Integration', 'Internet of Things', 'Management and Governance', 'Media', 'Migration', 'Mobile', 'Networking', 'Security', 'Storage', 'Web', 'Other'];
const AI_SUBCATEGORY = ['AI Platforms', 'Bots', 'Generative AI', 'Machine Learning', 'Natural Language Processing', 'Other (AI and Machine Learning)'];
const CONTRACT_APPLIED_KEYS = ['ContractID', 'ContractCommitmentID', 'ContractCommitmentAppliedCost', 'ContractCommitmentAppliedQuantity', 'ContractCommitmentAppliedUnit'];

const NUMERIC = /^-?\d+(\.\d+)?$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const CURRENCY = /^[A-Z]{3}$/;

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Every violation of the rules, as "row N Column: requirement". Empty means the dataset conforms. */
export function validateFocus(header: string[], rows: Row[]): string[] {
  const problems: string[] = [];
  for (const [name, rule] of Object.entries(COLUMNS)) {
    if (rule.mandatory && !header.includes(name)) problems.push(`${name}: MUST be present in a Cost and Usage FOCUS dataset`);
  }
  for (const name of ALLOCATION_COLUMNS) if (!header.includes(name)) problems.push(`${name}: MUST be present when the data generator supports split cost allocation`);
  for (const name of header) {
    if (!(name in COLUMNS) && !name.startsWith('x_')) problems.push(`${name}: custom columns MUST be prefixed with x_`);
  }
  rows.forEach((r, i) => {
    const bad = (col: string, what: string) => problems.push(`row ${i + 1} ${col}: ${what} (got ${JSON.stringify(r[col])})`);
    const v = (col: string) => r[col] ?? null;
    for (const [name, rule] of Object.entries(COLUMNS)) {
      if (!header.includes(name)) continue;
      const value = v(name);
      if (value === null) {
        if (!rule.nullable) bad(name, 'MUST NOT be null');
        continue;
      }
      if (rule.type === 'Decimal' && !NUMERIC.test(value)) bad(name, 'MUST conform to NumericFormat');
      if (rule.type === 'Date/Time' && !DATETIME.test(value)) bad(name, 'MUST conform to DateTimeFormat');
      if (rule.type === 'JSON' && !jsonObject(value)) bad(name, 'MUST be a JSON object');
    }
    const category = v('ChargeCategory');
    const cls = v('ChargeClass');
    const correction = cls === 'Correction';
    if (category !== null && !CHARGE_CATEGORY.includes(category)) bad('ChargeCategory', 'MUST be one of the allowed values');
    if (cls !== null && cls !== 'Correction') bad('ChargeClass', 'MUST be "Correction" when ChargeClass is not null');
    const freq = v('ChargeFrequency');
    if (freq !== null && !CHARGE_FREQUENCY.includes(freq)) bad('ChargeFrequency', 'MUST be one of the allowed values');
    if (freq === 'Usage-Based' && category === 'Purchase') bad('ChargeFrequency', 'MUST NOT be "Usage-Based" when ChargeCategory is "Purchase"');
    if (v('ServiceCategory') !== null && !SERVICE_CATEGORY.includes(v('ServiceCategory')!)) bad('ServiceCategory', 'MUST be one of the allowed values');
    if (v('ServiceSubcategory') !== null && v('ServiceCategory') === 'AI and Machine Learning' && !AI_SUBCATEGORY.includes(v('ServiceSubcategory')!)) bad('ServiceSubcategory', 'MUST have one and only one parent ServiceCategory');
    if (v('BillingCurrency') !== null && !CURRENCY.test(v('BillingCurrency')!)) bad('BillingCurrency', 'MUST conform to CurrencyFormat');
    if ((v('ChargePeriodStart') ?? '') >= (v('ChargePeriodEnd') ?? '')) bad('ChargePeriodEnd', 'the exclusive end bound comes after the inclusive start');
    if ((v('BillingPeriodStart') ?? '') > (v('ChargePeriodStart') ?? '') || (v('ChargePeriodEnd') ?? '') > (v('BillingPeriodEnd') ?? '')) bad('ChargePeriodStart', 'charge period inside the billing period');
    const sku = v('SkuPriceId');
    const usageOrPurchase = category === 'Usage' || category === 'Purchase';
    // ConsumedQuantity: null when SkuPriceId is null; null when ChargeCategory is not "Usage"; not null when Usage and not a Correction
    if (v('ConsumedQuantity') !== null && (sku === null || category !== 'Usage')) bad('ConsumedQuantity', 'MUST be null when SkuPriceId is null or ChargeCategory is not "Usage"');
    if (v('ConsumedQuantity') === null && category === 'Usage' && !correction && v('CommitmentDiscountStatus') !== 'Unused') bad('ConsumedQuantity', 'MUST NOT be null when ChargeCategory is "Usage" and ChargeClass is not "Correction"');
    if ((v('ConsumedUnit') === null) !== (v('ConsumedQuantity') === null)) bad('ConsumedUnit', 'MUST be null exactly when ConsumedQuantity is null');
    for (const price of ['ListUnitPrice', 'ContractedUnitPrice', 'PricingQuantity', 'PricingCategory']) {
      if (!header.includes(price)) continue;
      if (v(price) !== null && (sku === null || category === 'Tax')) bad(price, 'MUST be null when SkuPriceId is null or ChargeCategory is "Tax"');
      if (v(price) === null && usageOrPurchase && !correction) bad(price, 'MUST NOT be null when ChargeCategory is "Usage" or "Purchase" and ChargeClass is not "Correction"');
    }
    for (const price of ['ListUnitPrice', 'ContractedUnitPrice']) {
      if (v(price) !== null && sku === null) bad(price, 'MUST be null when SkuPriceId is null');
      if (v(price) === null && sku !== null) bad(price, 'MUST NOT be null when SkuPriceId is not null');
      if (v(price) !== null && v(price)!.startsWith('-')) bad(price, 'MUST be a non-negative decimal value');
    }
    if (v('PricingCategory') !== null && !PRICING_CATEGORY.includes(v('PricingCategory')!)) bad('PricingCategory', 'MUST be one of the allowed values');
    if ((v('PricingUnit') === null) !== (v('PricingQuantity') === null)) bad('PricingUnit', 'MUST be null exactly when PricingQuantity is null');
    // "ListCost MUST equal the product of ListUnitPrice and PricingQuantity": to the cent the cost is stated in
    for (const [cost, price] of [['ListCost', 'ListUnitPrice'], ['ContractedCost', 'ContractedUnitPrice']] as const) {
      if (v(price) !== null && v('PricingQuantity') !== null && v(cost) !== null) {
        const product = Number(v(price)) * Number(v('PricingQuantity'));
        if (Math.abs(product - Number(v(cost))) > 0.01) bad(cost, `MUST equal ${price} × PricingQuantity (${product})`);
      }
      if (v(price) === null && category === 'Credit' && v(cost) !== v('BilledCost')) bad(cost, 'of a charge unrelated to other charges (Credit) MUST match the BilledCost');
    }
    if (category === 'Credit' && v('EffectiveCost') !== v('BilledCost')) bad('EffectiveCost', 'of a Credit MUST match the BilledCost');
    if (v('HostProviderName') === null && category !== 'Tax' && category !== 'Adjustment') bad('HostProviderName', 'MUST NOT be null (other than for Tax or Adjustment charges)');
    if ((v('RegionName') === null) !== (v('RegionId') === null)) bad('RegionName', 'MUST be null exactly when RegionId is null');
    if ((v('AllocatedResourceName') === null) !== (v('AllocatedResourceId') === null)) bad('AllocatedResourceName', 'MUST be null exactly when AllocatedResourceId is null');
    const details = v('AllocatedMethodDetails');
    if ((v('AllocatedMethodId') === null) && (details !== null || v('AllocatedResourceId') !== null)) bad('AllocatedMethodId', 'MUST NOT be null when a charge is related to a split cost allocation');
    if (details !== null) {
      const d = jsonObject(details);
      const elements = d?.Elements;
      if (!Array.isArray(elements) || elements.length === 0) bad('AllocatedMethodDetails', 'MUST have a top-level key "Elements" which contains an array');
      else for (const e of elements) {
        if (e === null || typeof e !== 'object' || Array.isArray(e)) { bad('AllocatedMethodDetails', 'each item in "Elements" MUST be an object'); continue; }
        const o = e as Record<string, unknown>;
        if (typeof o.AllocatedRatio !== 'number') bad('AllocatedMethodDetails', '"AllocatedRatio" MUST be included inside each "Elements" object, a decimal');
        if ('UsageQuantity' in o && !('UsageUnit' in o)) bad('AllocatedMethodDetails', '"UsageUnit" MUST be included if "UsageQuantity" is');
        if ('UsageQuantity' in o && typeof o.UsageQuantity !== 'number') bad('AllocatedMethodDetails', '"UsageQuantity" MUST be compatible with NumericFormat');
        for (const k of Object.keys(o)) if (!['AllocatedRatio', 'UsageUnit', 'UsageQuantity'].includes(k) && !k.startsWith('x_')) bad('AllocatedMethodDetails', `property keys MUST begin with "x_" unless FOCUS-defined (${k})`);
      }
    }
    for (const col of ['AllocatedTags', 'Tags']) {
      const t = v(col) === null ? undefined : jsonObject(v(col)!);
      if (t) for (const [k, val] of Object.entries(t)) if (val !== null && typeof val === 'object') bad(col, `KeyValueFormat: value of ${k} MUST NOT be nested`);
    }
    const tags = v('Tags') === null ? {} : (jsonObject(v('Tags')!) ?? {});
    const allocated = v('AllocatedTags') === null ? {} : (jsonObject(v('AllocatedTags')!) ?? {});
    for (const k of Object.keys(allocated)) if (k in tags) bad('AllocatedTags', `MUST NOT include resource tags already present in Tags (${k})`);
    const applied = v('ContractApplied');
    if (applied !== null) {
      const elements = jsonObject(applied)?.Elements;
      if (!Array.isArray(elements)) bad('ContractApplied', 'MUST have a top-level key "Elements" which contains an array');
      else for (const e of elements as Record<string, unknown>[]) {
        if (typeof e?.ContractID !== 'string' || typeof e?.ContractCommitmentID !== 'string') bad('ContractApplied', 'elements carry ContractID and ContractCommitmentID (String, not null)');
        if (e.ContractCommitmentAppliedCost === undefined && e.ContractCommitmentAppliedQuantity === undefined) bad('ContractApplied', 'ContractCommitmentAppliedCost MUST NOT be null when ContractCommitmentAppliedQuantity is null');
        if ((e.ContractCommitmentAppliedQuantity === undefined) !== (e.ContractCommitmentAppliedUnit === undefined)) bad('ContractApplied', 'ContractCommitmentAppliedUnit MUST be null exactly when ContractCommitmentAppliedQuantity is null');
        for (const k of Object.keys(e)) if (!CONTRACT_APPLIED_KEYS.includes(k) && !k.startsWith('x_')) bad('ContractApplied', `keys MUST begin with "x_" unless FOCUS-defined (${k})`);
      }
    }
  });
  return problems;
}

/** The AllocatedRatio text of a row's details, exactly as written (JSON.parse would round it to a float). */
export function allocatedRatioText(details: string): string[] {
  return [...details.matchAll(/"AllocatedRatio":(-?\d+(?:\.\d+)?)/g)].map((m) => m[1]!);
}
