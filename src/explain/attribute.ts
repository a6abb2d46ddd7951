import { Decimal, ZERO, sum } from '../money.ts';

/**
 * Variance attribution: splits each variance cell's volume and price effects over causes, most
 * specific first, each step taking only what is left, and leaves the rest as `unexplained`.
 * Pure: plain data in (cells with their ledger evidence, invoice lines that are not cells,
 * hourly ledger volume), cause amounts out. Per cell, causes + unexplained = variance exactly.
 */

export const CAUSES = [
  'batch_tier',
  'cache_pricing',
  'fallback_drift',
  'model_alias',
  'commitment_usage',
  'retry_billing',
  'streaming_partial',
  'unpriced_model',
  'ingestion_gap',
  'invoice_discount',
  'stale_price_card',
  'unmapped_invoice_line',
  'commitment',
  'uncommitted_flat_charge',
  'invoice_tax_fee',
  'rounding',
  'unexplained',
] as const;
export type Cause = (typeof CAUSES)[number];

export const RULES: Record<Cause, string> = {
  batch_tier: 'quantity missing in one service tier is found in a sibling cell of another tier (same provider, model, category, day); each side valued at its own card price',
  cache_pricing:
    'quantity missing in one input/cache category is found in a sibling category (5m vs 1h writes, cache reads vs input), or the invoice unit price of a cache category differs from the card',
  fallback_drift: 'the invoice bills model A where the ledger records the same quantity as model B on records whose requested model was A',
  model_alias: 'the invoice bills a model name the priced ledger never uses, offset by the same quantity under another model name (same provider, category, tier, day)',
  commitment_usage: 'the ledger has more quantity than the invoice, held by records that ran on a commitment some invoice line bills under: billed by its flat lines (cause commitment), not per token',
  retry_billing: 'the ledger has more quantity than the invoice and holds failed attempts (status error) in the cell: logged and priced, not billed',
  streaming_partial:
    "the invoice has more output than the ledger and the cell's day has partial streams (also those that logged no output at all): missing output estimated as each partial record × the average of its own workload's complete records, less what was logged",
  unpriced_model: 'the invoice bills quantity the ledger holds but could not price (no card for the model, category or tier)',
  ingestion_gap: "the ledger's hourly record count falls below a quarter of its usual level for that hour while the invoice bills usage that day",
  invoice_discount: 'discount and credit lines on the invoice, or invoice unit prices uniformly below the card across the provider',
  stale_price_card: 'the invoice unit price differs from the card price in effect beyond rounding (the card is out of date or wrong)',
  unmapped_invoice_line: 'invoice usage lines that map to no model or token category',
  commitment: 'flat lines an imported commitment bills under (provisioned throughput, PTU, committed spend, prepaid credit): amortised over its hours and allocated by its usage (docs/commitments.md), not variance',
  uncommitted_flat_charge: 'fee lines naming a SKU that no imported commitment bills under: a flat charge no token price or commitment explains (import its commitment with recon commitment import)',
  invoice_tax_fee: 'tax and fee lines on the invoice, which the priced ledger never carries',
  rounding: 'the price effect of a cell is within half a cent per invoice line (providers round each line to the cent)',
  unexplained: 'what remains of each cell after every cause above took its part',
};

export type Effect = 'volume' | 'price';

export interface CellKey {
  provider: string;
  model: string;
  token_category: string;
  service_tier: string;
  day: string;
}

export interface LedgerSlice {
  quantity: Decimal;
  records: Decimal;
}

export interface CellInput extends CellKey {
  invoice_quantity: Decimal;
  invoice_amount: Decimal;
  ledger_quantity: Decimal;
  ledger_amount: Decimal;
  /** price per token (or request) the cell is valued at; null when neither ledger nor card has one */
  card_unit_price: Decimal | null;
  volume_effect: Decimal;
  price_effect: Decimal;
  variance_amount: Decimal;
  invoice_line_ids: string[];
  /** ledger quantity that was priced (the rest is unpriced) */
  priced_quantity: Decimal;
  unpriced: LedgerSlice;
  /** priced attempts with status error */
  failed: LedgerSlice;
  /** priced records with status partial; `expected`: what they would hold were they as large as their own workload's complete records */
  partial: LedgerSlice & { expected?: Decimal };
  /** priced records with status ok */
  complete: LedgerSlice;
  /** records that ran on a commitment billed in the period (src/commitments): billed by its flat lines, not per token */
  committed?: LedgerSlice;
  /** priced records whose requested model differs from the model called */
  fallbacks: { requested_model: string; quantity: Decimal; records: Decimal }[];
}

/** Invoice lines that are not cells, rolled up per provider and kind. */
export interface ProviderLines {
  provider: string;
  /** commitment: flat lines a commitment bills under; flat: fee lines with a SKU no commitment bills under */
  kind: 'discount' | 'credit' | 'tax' | 'fee' | 'unmapped' | 'commitment' | 'flat';
  amount: Decimal;
  quantity: Decimal;
  invoice_line_ids: string[];
  detail: string;
}

export interface HourlyVolume {
  provider: string;
  /** 'YYYY-MM-DDTHH' (UTC) */
  hour: string;
  records: number;
  /** canonical model and tier of these records, with their tokens per category (absent: provider totals only) */
  model?: string;
  service_tier?: string;
  quantities?: Partial<Record<string, Decimal>>;
}

/** Ledger request ids for evidence, per provider, day, model and kind. */
export interface SampleIds {
  provider: string;
  day: string;
  model: string;
  kind: 'failed' | 'partial' | 'fallback' | 'unpriced';
  ids: string[];
}

export interface AttributeInput {
  cells: CellInput[];
  providerLines: ProviderLines[];
  hourly: HourlyVolume[];
  samples: SampleIds[];
}

export interface CellAttribution extends CellKey {
  cause: Cause;
  effect: Effect;
  amount: Decimal;
  quantity: Decimal;
}

export interface CauseRow {
  cause: Cause;
  provider: string;
  model: string | null;
  token_category: string | null;
  service_tier: string | null;
  day: string | null;
  amount: Decimal;
  quantity: Decimal | null;
  cells_affected: number;
  record_count: Decimal;
  sample_request_ids: string[];
  invoice_line_ids: string[];
  rule: string;
  detail: string;
}

export interface Attribution {
  cellCauses: CellAttribution[];
  causes: CauseRow[];
}

const CACHE_CATEGORIES = ['input', 'cached_input', 'cache_write_5m', 'cache_write_1h'];
const CACHE_PRICED = new Set(['cached_input', 'cache_write_5m', 'cache_write_1h']);
/** Providers round each invoice line to the cent: at most half a cent each. */
const HALF_CENT = new Decimal('0.005');
/** An hour is a gap when it holds fewer records than this share of its usual level... */
const GAP_SHARE = 0.25;
/** ...and that usual level is at least this many records (fewer is noise, not a pattern). */
const GAP_MIN_USUAL = 4;
/** A gap takes at most this multiple of its estimated missing volume: records differ in size. */
const GAP_SLACK = new Decimal('1.5');
/** Partial streams take at most this multiple of their estimated missing volume: streams differ in size. */
const PARTIAL_SLACK = new Decimal('1.5');
/** Unit prices within this relative band of one another count as one uniform discount. */
const UNIFORM_BAND = new Decimal('0.005');
const SAMPLE_LIMIT = 10;
/** Decimal places of an amount a cause takes: far below a cent, far within 40 significant digits. */
const AMOUNT_SCALE = 18;

interface Evidence {
  records: Decimal;
  samples: string[];
  invoiceLineIds: string[];
  detail: string;
}

interface WorkCell {
  input: CellInput;
  key: string;
  /** quantity gap still to explain: invoice quantity − priced ledger quantity */
  quantity: Decimal;
  volume: Decimal;
  price: Decimal;
  /** the price the volume is valued at: the card's, else the invoice's own unit price */
  unitPrice: Decimal | null;
}

interface Taken {
  cell: WorkCell;
  cause: Cause;
  effect: Effect;
  amount: Decimal;
  quantity: Decimal;
  group: string;
  evidence: Evidence;
}

function cellKeyText(c: CellKey): string {
  return `${c.provider}|${c.model}|${c.token_category}|${c.service_tier}|${c.day}`;
}

/** Code-point order: the order PostgreSQL's "C" collation gives, the same on every machine. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The part of `want` that has the sign of `left` and does not exceed it. */
function clampTo(want: Decimal, left: Decimal): Decimal {
  if (want.isZero() || left.isZero() || want.isNegative() !== left.isNegative()) return ZERO;
  return want.abs().lessThan(left.abs()) ? want : left;
}

function dollars(value: Decimal): string {
  const abs = value.abs().toDecimalPlaces(2).toFixed(2);
  return value.isNegative() ? `-$${abs}` : `$${abs}`;
}

function perMillion(price: Decimal, category: string): string {
  return category === 'request' ? `$${price.toSignificantDigits(6).toFixed()}/request` : `$${price.times(1_000_000).toSignificantDigits(6).toFixed()}/M`;
}

export function attributeVariance(input: AttributeInput): Attribution {
  const cells: WorkCell[] = input.cells
    .map((c) => {
      const unitPrice = c.card_unit_price ?? (c.invoice_quantity.isZero() ? null : c.invoice_amount.dividedBy(c.invoice_quantity));
      return { input: c, key: cellKeyText(c), quantity: c.invoice_quantity.minus(c.priced_quantity), volume: c.volume_effect, price: c.price_effect, unitPrice };
    })
    .sort((a, b) => compareText(a.key, b.key));
  for (const cell of cells) {
    if (!cell.volume.plus(cell.price).equals(cell.input.variance_amount)) {
      throw new Error(`variance cell ${cell.key}: volume + price effect differ from the variance`);
    }
  }
  const samples = new Map<string, string[]>();
  for (const s of input.samples) samples.set(`${s.provider}|${s.day}|${s.model}|${s.kind}`, s.ids);
  const sampleIds = (cell: WorkCell, kind: SampleIds['kind'], model = cell.input.model) => samples.get(`${cell.input.provider}|${cell.input.day}|${model}|${kind}`) ?? [];
  const taken: Taken[] = [];

  /** Takes up to `quantity` (signed) of the cell's quantity gap, valued at its unit price. */
  const takeVolume = (cell: WorkCell, quantity: Decimal, cause: Cause, group: string, evidence: Evidence): Decimal => {
    if (cell.unitPrice === null) return ZERO;
    const q = clampTo(quantity, cell.quantity);
    // rounded to a fixed scale so that what is left stays exact within Decimal's 40 digits
    const amount = clampTo(q.times(cell.unitPrice).toDecimalPlaces(AMOUNT_SCALE), cell.volume);
    if (amount.isZero()) return ZERO;
    cell.quantity = cell.quantity.minus(q);
    cell.volume = cell.volume.minus(amount);
    taken.push({ cell, cause, effect: 'volume', amount, quantity: q.abs(), group, evidence });
    return q;
  };
  /**
   * Takes `quantity` (signed) even past what the cell has left: an estimate taken before the
   * causes that net against it in the same cell (an ingestion gap on a day a batch job was also
   * mislogged), which then find their own quantity instead of the net.
   */
  const takeEstimate = (cell: WorkCell, quantity: Decimal, cause: Cause, group: string, evidence: Evidence): Decimal => {
    if (cell.unitPrice === null || quantity.isZero()) return ZERO;
    const amount = quantity.times(cell.unitPrice).toDecimalPlaces(AMOUNT_SCALE);
    cell.quantity = cell.quantity.minus(quantity);
    cell.volume = cell.volume.minus(amount);
    taken.push({ cell, cause, effect: 'volume', amount, quantity: quantity.abs(), group, evidence });
    return quantity;
  };
  const takePrice = (cell: WorkCell, cause: Cause, group: string, evidence: Evidence) => {
    if (cell.price.isZero()) return;
    taken.push({ cell, cause, effect: 'price', amount: cell.price, quantity: cell.input.invoice_quantity, group, evidence });
    cell.price = ZERO;
  };
  const lines = (cell: WorkCell) => cell.input.invoice_line_ids;

  // 0. Ingestion gaps, estimated from the hours around them before anything nets against them:
  //    each cell of the gap's provider and days misses its day's share of the records the gap
  //    lost. What the estimate misses is trued up after the other causes (step 3).
  const gaps = findIngestionGaps(input.hourly);
  const cellHours = hourlyByCell(input.hourly);
  const gapEstimates: { cell: WorkCell; gap: IngestionGap; estimate: Decimal; evidence: Evidence; group: string }[] = [];
  for (const gap of gaps) {
    for (const cell of cells) {
      const c = cell.input;
      if (c.provider !== gap.provider || !gap.days.has(c.day)) continue;
      const share = gap.missingShare.get(c.day);
      if (share === undefined || c.priced_quantity.isZero() || c.invoice_quantity.isZero()) continue;
      // The cell's own volume in the gap's hours against the same hours on comparable days, else
      // the day's share of records; whole tokens (a repeating fraction cut at 40 digits would
      // break the exact tie-out of the cell).
      const estimate = (cellGapEstimate(cellHours, gap, c) ?? c.priced_quantity.times(share)).toDecimalPlaces(0, Decimal.ROUND_DOWN);
      const evidence: Evidence = {
        records: new Decimal(gap.missingRecords),
        samples: [],
        invoiceLineIds: lines(cell),
        detail: `ledger volume dropped ${gap.window} UTC (${gap.seen} records where about ${gap.usual} are usual on comparable days) while the invoice bills usage`,
      };
      const group = `gap|${gap.provider}|${gap.window}`;
      takeEstimate(cell, estimate, 'ingestion_gap', group, evidence);
      gapEstimates.push({ cell, gap, estimate, evidence, group });
    }
  }

  // 1. Offsetting shifts between sibling cells, before anything else can count them twice.
  const pairSiblings = (
    groupOf: (c: CellInput) => string,
    cause: Cause,
    pairable: (surplus: WorkCell, deficit: WorkCell) => Decimal | null,
    describe: (surplus: WorkCell, deficit: WorkCell) => { group: string; detail: string; samples: string[]; records: Decimal },
  ) => {
    const groups = new Map<string, WorkCell[]>();
    for (const cell of cells) {
      const g = groupOf(cell.input);
      const list = groups.get(g) ?? [];
      list.push(cell);
      groups.set(g, list);
    }
    for (const [, members] of [...groups.entries()].sort(([a], [b]) => compareText(a, b))) {
      const bySize = (a: WorkCell, b: WorkCell) => b.quantity.abs().comparedTo(a.quantity.abs()) || compareText(a.key, b.key);
      const surpluses = members.filter((c) => c.quantity.isPositive() && !c.quantity.isZero()).sort(bySize);
      for (const surplus of surpluses) {
        const deficits = members.filter((c) => c !== surplus && c.quantity.isNegative() && !c.quantity.isZero()).sort(bySize);
        for (const deficit of deficits) {
          if (!surplus.quantity.isPositive() || surplus.quantity.isZero()) break;
          const limit = pairable(surplus, deficit);
          if (limit === null || limit.isZero()) continue;
          const m = Decimal.min(surplus.quantity, deficit.quantity.neg(), limit);
          if (surplus.unitPrice === null || deficit.unitPrice === null) continue;
          const d = describe(surplus, deficit);
          const evidence = (cell: WorkCell): Evidence => ({ records: d.records, samples: d.samples, invoiceLineIds: lines(cell), detail: d.detail });
          const got = takeVolume(surplus, m, cause, d.group, evidence(surplus));
          if (!got.isZero()) {
            const back = takeVolume(deficit, got.neg(), cause, d.group, { ...evidence(deficit), records: ZERO });
            // the quantity of a shift is counted once, on the side the invoice bills
            const last = taken[taken.length - 1];
            if (last && !back.isZero()) last.quantity = ZERO;
          }
        }
      }
    }
  };

  pairSiblings(
    (c) => `${c.provider}|${c.model}|${c.token_category}|${c.day}`,
    'batch_tier',
    () => new Decimal(Infinity),
    (s, d) => ({
      group: `${s.input.provider}|${s.input.model}|${s.input.token_category}|${s.input.service_tier}<${d.input.service_tier}`,
      detail: `billed as ${s.input.service_tier}, recorded by the ledger as ${d.input.service_tier}`,
      samples: [],
      records: d.input.complete.records,
    }),
  );
  pairSiblings(
    (c) => `${c.provider}|${c.token_category}|${c.service_tier}|${c.day}`,
    'fallback_drift',
    (s, d) => {
      const fallback = d.input.fallbacks.find((f) => f.requested_model === s.input.model);
      return fallback ? fallback.quantity : null;
    },
    (s, d) => {
      const fallback = d.input.fallbacks.find((f) => f.requested_model === s.input.model);
      return {
        group: `${s.input.provider}|${s.input.model}>${d.input.model}`,
        detail: `records requested ${s.input.model} and the ledger priced them as ${d.input.model}; the invoice bills ${s.input.model}`,
        samples: sampleIds(d, 'fallback'),
        records: fallback?.records ?? ZERO,
      };
    },
  );
  const ledgerModels = new Set(cells.filter((c) => !c.input.ledger_quantity.isZero()).map((c) => `${c.input.provider}|${c.input.model}`));
  pairSiblings(
    (c) => `${c.provider}|${c.token_category}|${c.service_tier}|${c.day}`,
    'model_alias',
    (s) => (ledgerModels.has(`${s.input.provider}|${s.input.model}`) ? null : new Decimal(Infinity)),
    (s, d) => ({
      group: `${s.input.provider}|${s.input.model}=${d.input.model}`,
      detail: `the invoice names the model ${s.input.model}, the ledger ${d.input.model} (add the alias to the model map)`,
      samples: [],
      records: d.input.complete.records,
    }),
  );

  // 2. Ledger records that explain volume.
  const cellGroup = (cell: WorkCell, cause: string) => `${cause}|${cell.input.provider}|${cell.input.model}|${cell.input.token_category}|${cell.input.service_tier}`;
  for (const cell of cells) {
    const c = cell.input;
    if (cell.quantity.isNegative() && c.committed && !c.committed.quantity.isZero()) {
      takeVolume(cell, c.committed.quantity.neg(), 'commitment_usage', cellGroup(cell, 'commitment_usage'), {
        records: c.committed.records,
        samples: [],
        invoiceLineIds: lines(cell),
        detail: 'records that ran on provisioned capacity or a commitment: billed by its flat lines, not per token',
      });
    }
    if (cell.quantity.isNegative() && !c.failed.quantity.isZero()) {
      takeVolume(cell, c.failed.quantity.neg(), 'retry_billing', cellGroup(cell, 'retry'), {
        records: c.failed.records,
        samples: sampleIds(cell, 'failed'),
        invoiceLineIds: lines(cell),
        detail: 'failed attempts logged and priced by the gateway, not billed by the provider',
      });
    }
    if (cell.quantity.isPositive() && !cell.quantity.isZero() && !c.partial.records.isZero() && !c.complete.records.isZero()) {
      const expected = c.partial.expected ?? c.complete.quantity.dividedBy(c.complete.records).times(c.partial.records);
      // a partial stream's true size varies like any record's: up to PARTIAL_SLACK of the estimate
      const missing = expected.times(PARTIAL_SLACK).minus(c.partial.quantity).toDecimalPlaces(0, Decimal.ROUND_DOWN);
      if (missing.isPositive() && !missing.isZero()) {
        takeVolume(cell, missing, 'streaming_partial', cellGroup(cell, 'partial'), {
          records: c.partial.records,
          samples: sampleIds(cell, 'partial'),
          invoiceLineIds: lines(cell),
          detail: 'partial streams: the gateway logged less usage than the provider billed',
        });
      }
    }
    if (cell.quantity.isPositive() && !cell.quantity.isZero() && !c.unpriced.quantity.isZero()) {
      takeVolume(cell, c.unpriced.quantity, 'unpriced_model', cellGroup(cell, 'unpriced'), {
        records: c.unpriced.records,
        samples: sampleIds(cell, 'unpriced'),
        invoiceLineIds: lines(cell),
        detail: 'ledger records with no price on the card (add the model or category to the rate card)',
      });
    }
  }

  // 3. Time pattern: the gap's estimate trued up. What is left in a gap cell with the gap's sign,
  //    up to GAP_SLACK − 1 of the estimate, is the gap's too (records differ in size from the
  //    day's average); an estimate above what the cell lacked gives the excess back.
  for (const { cell, estimate, evidence, group } of gapEstimates) {
    const room = estimate.times(GAP_SLACK.minus(1)).toDecimalPlaces(0, Decimal.ROUND_DOWN);
    if (cell.quantity.isPositive()) takeVolume(cell, Decimal.min(cell.quantity, room), 'ingestion_gap', group, evidence);
    else if (cell.quantity.isNegative()) takeVolume(cell, Decimal.max(cell.quantity, Decimal.min(room, estimate).neg()), 'ingestion_gap', group, evidence);
  }
  //    Cache categories pair after the gap's estimate is trued up, so an estimate a little above
  //    one category's loss is not read as a cache shift into a sibling category.
  for (const [a, b] of [
    ['cache_write_5m', 'cache_write_1h'],
    ['cached_input', 'input'],
    ['cache_write_5m', 'input'],
    ['cache_write_1h', 'input'],
    ['cached_input', 'cache_write_5m'],
    ['cached_input', 'cache_write_1h'],
  ] as const) {
    pairSiblings(
      (c) => (c.token_category === a || c.token_category === b ? `${c.provider}|${c.model}|${c.service_tier}|${c.day}` : `-|${cellKeyText(c)}`),
      'cache_pricing',
      () => new Decimal(Infinity),
      (s, d) => ({
        group: `${s.input.provider}|${s.input.model}|${s.input.service_tier}|${s.input.token_category}<${d.input.token_category}`,
        detail: `billed as ${s.input.token_category}, recorded by the ledger as ${d.input.token_category}`,
        samples: [],
        records: d.input.complete.records,
      }),
    );
  }
  //    A cell of a gap day the ledger has no hourly volume for (billed as 1-hour writes, logged as
  //    5-minute ones) lacks at most the day's missing share of what the invoice bills there.
  const estimated = new Set(gapEstimates.map((g) => g.cell));
  for (const gap of gaps) {
    for (const cell of cells) {
      const c = cell.input;
      if (estimated.has(cell) || c.provider !== gap.provider || !gap.days.has(c.day) || !cell.quantity.isPositive()) continue;
      const share = gap.missingShare.get(c.day);
      if (share === undefined) continue;
      const cap = c.invoice_quantity.times(share).times(GAP_SLACK).toDecimalPlaces(0, Decimal.ROUND_DOWN);
      takeVolume(cell, Decimal.min(cell.quantity, cap), 'ingestion_gap', `gap|${gap.provider}|${gap.window}`, {
        records: new Decimal(gap.missingRecords),
        samples: [],
        invoiceLineIds: lines(cell),
        detail: `ledger volume dropped ${gap.window} UTC (${gap.seen} records where about ${gap.usual} are usual on comparable days) while the invoice bills usage`,
      });
    }
  }

  // 4. Price effect: rounding, cache rates, uniform discounts, then stale cards.
  const discounted = uniformlyDiscountedProviders(cells);
  for (const cell of cells) {
    const c = cell.input;
    if (cell.price.isZero()) continue;
    const bound = HALF_CENT.times(Math.max(1, c.invoice_line_ids.length));
    const invoicePrice = c.invoice_quantity.isZero() ? null : c.invoice_amount.dividedBy(c.invoice_quantity);
    const prices = invoicePrice && c.card_unit_price ? `invoice ${perMillion(invoicePrice, c.token_category)} vs card ${perMillion(c.card_unit_price, c.token_category)}` : 'no unit price to compare';
    const evidence = (detail: string): Evidence => ({ records: ZERO, samples: [], invoiceLineIds: lines(cell), detail });
    if (cell.price.abs().lessThanOrEqualTo(bound)) {
      takePrice(cell, 'rounding', cellGroup(cell, 'rounding'), evidence(`within half a cent per invoice line (${c.invoice_line_ids.length} line(s))`));
    } else if (CACHE_PRICED.has(c.token_category)) {
      takePrice(cell, 'cache_pricing', cellGroup(cell, 'cache-price'), evidence(`cache tokens billed at another rate: ${prices}`));
    } else if (discounted.has(c.provider) && cell.price.isNegative()) {
      takePrice(cell, 'invoice_discount', `price|${c.provider}`, evidence(`invoice unit prices uniformly ${discounted.get(c.provider)} below the card across ${c.provider}`));
    } else {
      takePrice(cell, 'stale_price_card', cellGroup(cell, 'stale'), evidence(`${prices}; update the rate card`));
    }
  }

  // 5. What is left of each cell is unexplained, shown, never hidden.
  for (const cell of cells) {
    const evidence: Evidence = { records: ZERO, samples: [], invoiceLineIds: lines(cell), detail: 'no rule explains this part of the cell' };
    if (!cell.volume.isZero()) taken.push({ cell, cause: 'unexplained', effect: 'volume', amount: cell.volume, quantity: cell.quantity.abs(), group: cellGroup(cell, 'unexplained'), evidence });
    if (!cell.price.isZero()) taken.push({ cell, cause: 'unexplained', effect: 'price', amount: cell.price, quantity: ZERO, group: cellGroup(cell, 'unexplained'), evidence });
    cell.volume = ZERO;
    cell.price = ZERO;
  }

  const cellCauses: CellAttribution[] = taken.map((t) => ({
    provider: t.cell.input.provider,
    model: t.cell.input.model,
    token_category: t.cell.input.token_category,
    service_tier: t.cell.input.service_tier,
    day: t.cell.input.day,
    cause: t.cause,
    effect: t.effect,
    amount: t.amount,
    quantity: t.quantity,
  }));
  assertCellsTieOut(input.cells, cellCauses);
  return { cellCauses, causes: [...rollUp(taken), ...providerLineCauses(input.providerLines)].sort(compareCauseRows) };
}

/** Per cell, the attributed amounts add up to the cell's variance exactly. */
export function assertCellsTieOut(cells: CellInput[], cellCauses: CellAttribution[]): void {
  const totals = new Map<string, Decimal>();
  for (const a of cellCauses) totals.set(cellKeyText(a), (totals.get(cellKeyText(a)) ?? ZERO).plus(a.amount));
  for (const cell of cells) {
    const got = totals.get(cellKeyText(cell)) ?? ZERO;
    if (!got.equals(cell.variance_amount)) throw new Error(`causes of cell ${cellKeyText(cell)} sum to ${got.toFixed()}, not its variance ${cell.variance_amount.toFixed()}`);
  }
}

function rollUp(taken: Taken[]): CauseRow[] {
  const groups = new Map<string, Taken[]>();
  for (const t of taken) {
    const key = `${t.cause}#${t.group}`;
    const list = groups.get(key) ?? [];
    list.push(t);
    groups.set(key, list);
  }
  const rows: CauseRow[] = [];
  for (const list of groups.values()) {
    const first = list[0]!;
    const same = (pick: (c: CellInput) => string) => {
      const values = new Set(list.map((t) => pick(t.cell.input)));
      return values.size === 1 ? [...values][0]! : null;
    };
    const cellKeys = new Set(list.map((t) => t.cell.key));
    const recordsByCell = new Map<string, Decimal>();
    for (const t of list) if (!t.evidence.records.isZero()) recordsByCell.set(`${t.cell.key}|${t.evidence.detail}`, t.evidence.records);
    const records = first.cause === 'ingestion_gap' ? first.evidence.records : sum(recordsByCell.values());
    const details = [...new Set(list.map((t) => t.evidence.detail))].sort();
    rows.push({
      cause: first.cause,
      provider: first.cell.input.provider,
      model: same((c) => c.model),
      token_category: same((c) => c.token_category),
      service_tier: same((c) => c.service_tier),
      day: same((c) => c.day),
      amount: sum(list.map((t) => t.amount)),
      quantity: sum(list.map((t) => t.quantity)),
      cells_affected: cellKeys.size,
      record_count: records,
      sample_request_ids: [...new Set(list.flatMap((t) => t.evidence.samples))].sort(compareText).slice(0, SAMPLE_LIMIT),
      invoice_line_ids: [...new Set(list.flatMap((t) => t.evidence.invoiceLineIds))].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0)),
      rule: RULES[first.cause],
      detail: details.length <= 3 ? details.join('; ') : `${details.slice(0, 3).join('; ')}; and ${details.length - 3} more`,
    });
  }
  return rows.filter((r) => !r.amount.isZero() || r.cause !== 'unexplained');
}

function providerLineCauses(lines: ProviderLines[]): CauseRow[] {
  const causeOf: Record<ProviderLines['kind'], Cause> = {
    discount: 'invoice_discount',
    credit: 'invoice_discount',
    tax: 'invoice_tax_fee',
    fee: 'invoice_tax_fee',
    unmapped: 'unmapped_invoice_line',
    commitment: 'commitment',
    flat: 'uncommitted_flat_charge',
  };
  return lines
    .filter((l) => !l.amount.isZero() || l.invoice_line_ids.length > 0)
    .map((l) => ({
      cause: causeOf[l.kind],
      provider: l.provider,
      model: null,
      token_category: null,
      service_tier: null,
      day: null,
      amount: l.amount,
      quantity: l.quantity.isZero() ? null : l.quantity,
      cells_affected: 0,
      record_count: ZERO,
      sample_request_ids: [],
      invoice_line_ids: l.invoice_line_ids,
      rule: RULES[causeOf[l.kind]],
      detail: l.detail,
    }));
}

function compareCauseRows(a: CauseRow, b: CauseRow): number {
  return (
    CAUSES.indexOf(a.cause) - CAUSES.indexOf(b.cause) ||
    compareText(a.provider, b.provider) ||
    compareText(a.model ?? '', b.model ?? '') ||
    compareText(a.token_category ?? '', b.token_category ?? '') ||
    compareText(a.service_tier ?? '', b.service_tier ?? '') ||
    compareText(a.day ?? '', b.day ?? '') ||
    compareText(a.detail, b.detail)
  );
}

/**
 * A provider bills uniformly below the card when every cell it bills with a price effect beyond
 * rounding is below the card by the same ratio (within half a percent), across at least two
 * model/category combinations, and no billed cell of it matches the card. Returns the discount
 * per provider as a percent text.
 */
function uniformlyDiscountedProviders(cells: WorkCell[]): Map<string, string> {
  const byProvider = new Map<string, { ratios: Decimal[]; combos: Set<string>; atCard: boolean }>();
  for (const cell of cells) {
    const c = cell.input;
    if (c.invoice_quantity.isZero() || c.card_unit_price === null || c.card_unit_price.isZero() || CACHE_PRICED.has(c.token_category)) continue;
    const entry = byProvider.get(c.provider) ?? { ratios: [], combos: new Set<string>(), atCard: false };
    const bound = HALF_CENT.times(Math.max(1, c.invoice_line_ids.length));
    if (c.price_effect.abs().lessThanOrEqualTo(bound)) entry.atCard = true;
    else {
      entry.ratios.push(c.invoice_amount.dividedBy(c.invoice_quantity.times(c.card_unit_price)));
      entry.combos.add(`${c.model}|${c.token_category}`);
    }
    byProvider.set(c.provider, entry);
  }
  const result = new Map<string, string>();
  for (const [provider, e] of byProvider) {
    if (e.atCard || e.combos.size < 2) continue;
    const lo = Decimal.min(...e.ratios);
    const hi = Decimal.max(...e.ratios);
    if (hi.greaterThanOrEqualTo(1) || hi.minus(lo).greaterThan(UNIFORM_BAND)) continue;
    result.set(provider, `${new Decimal(1).minus(lo.plus(hi).dividedBy(2)).times(100).toDecimalPlaces(1).toFixed()}%`);
  }
  return result;
}

export interface IngestionGap {
  provider: string;
  /** e.g. '2026-05-12 10:00–14:00' */
  window: string;
  days: Set<string>;
  /** per day: missing records (usual − seen in the gap hours) over the records seen that day */
  missingShare: Map<string, Decimal>;
  seen: number;
  usual: number;
  missingRecords: number;
  /** the gap's hours, 'YYYY-MM-DDTHH' */
  hours: string[];
  /** every day of the provider's ledger in the period */
  allDays: string[];
}

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Hours where a provider's ledger holds fewer than a quarter of the records usual for that hour
 * of the day (the median of that hour over the provider's days in the period), merged into
 * windows of consecutive hours. Hours with no records at all count as zero, between the
 * provider's first and last day of data.
 */
/** Per (provider, model, tier, category), the tokens of each hour. */
function hourlyByCell(hourly: HourlyVolume[]): Map<string, Map<string, Decimal>> {
  const out = new Map<string, Map<string, Decimal>>();
  for (const h of hourly) {
    if (h.model === undefined || h.service_tier === undefined || !h.quantities) continue;
    for (const [category, q] of Object.entries(h.quantities)) {
      if (!q) continue;
      const key = `${h.provider}|${h.model}|${category}|${h.service_tier}`;
      const m = out.get(key) ?? new Map<string, Decimal>();
      m.set(h.hour, (m.get(h.hour) ?? ZERO).plus(q));
      out.set(key, m);
    }
  }
  return out;
}

/**
 * What a cell lost in a gap: over the gap's hours of the cell's day, the cell's usual tokens at
 * that hour (mean of the same hour on comparable days: weekdays apart from weekends) minus what
 * it logged. Null when the ledger has no hourly detail for the cell.
 */
function cellGapEstimate(cellHours: Map<string, Map<string, Decimal>>, gap: IngestionGap, c: CellInput): Decimal | null {
  const hours = cellHours.get(`${c.provider}|${c.model}|${c.token_category}|${c.service_tier}`);
  if (!hours || gap.hours.length === 0) return null;
  const weekend = (d: string) => [0, 6].includes(new Date(`${d}T00:00:00Z`).getUTCDay());
  const comparable = gap.allDays.filter((d) => weekend(d) === weekend(c.day) && !gap.days.has(d));
  const days = comparable.length >= 3 ? comparable : gap.allDays.filter((d) => !gap.days.has(d));
  let missing = ZERO;
  for (const hour of gap.hours) {
    if (hour.slice(0, 10) !== c.day) continue;
    const hh = hour.slice(11, 13);
    // the mean, not the median: a sum of records of random sizes is steadier in the mean
    const usual = days.reduce((sum, d) => sum.plus(hours.get(`${d}T${hh}`) ?? ZERO), ZERO).dividedBy(days.length);
    const seen = hours.get(hour) ?? ZERO;
    if (usual.greaterThan(seen)) missing = missing.plus(usual.minus(seen));
  }
  return missing;
}

export function findIngestionGaps(hourly: HourlyVolume[]): IngestionGap[] {
  const byProvider = new Map<string, Map<string, number>>();
  for (const h of hourly) {
    const m = byProvider.get(h.provider) ?? new Map<string, number>();
    m.set(h.hour, (m.get(h.hour) ?? 0) + h.records);
    byProvider.set(h.provider, m);
  }
  const gaps: IngestionGap[] = [];
  for (const provider of [...byProvider.keys()].sort()) {
    const counts = byProvider.get(provider)!;
    const days = [...new Set([...counts.keys()].map((h) => h.slice(0, 10)))].sort();
    const firstDay = Date.parse(`${days[0]}T00:00:00Z`);
    const lastDay = Date.parse(`${days[days.length - 1]}T00:00:00Z`);
    const allDays: string[] = [];
    for (let t = firstDay; t <= lastDay; t += 86_400_000) allDays.push(new Date(t).toISOString().slice(0, 10));
    if (allDays.length < 3) continue;
    // The usual level of an hour: its median on comparable days (weekdays apart from weekends,
    // when each kind has enough days), so a weekday gap is not measured against weekend traffic.
    const weekend = (d: string) => [0, 6].includes(new Date(`${d}T00:00:00Z`).getUTCDay());
    const comparable = (d: string) => {
      const same = allDays.filter((x) => weekend(x) === weekend(d));
      return same.length >= 3 ? same : allDays;
    };
    const usualOf = new Map<string, number>();
    const usualAt = (d: string, hour: number) => {
      const key = `${weekend(d)}|${hour}`;
      let value = usualOf.get(key);
      if (value === undefined) {
        value = median(comparable(d).map((x) => counts.get(`${x}T${String(hour).padStart(2, '0')}`) ?? 0));
        usualOf.set(key, value);
      }
      return value;
    };
    const dayTotals = new Map(allDays.map((d) => [d, 0]));
    for (const [h, n] of counts) dayTotals.set(h.slice(0, 10), (dayTotals.get(h.slice(0, 10)) ?? 0) + n);
    let open: { start: number; end: number; seen: number; usual: number; perDay: Map<string, number>; hours: string[] } | null = null;
    const close = () => {
      if (!open) return;
      const from = new Date(open.start).toISOString();
      const to = new Date(open.end).toISOString();
      const sameDay = from.slice(0, 10) === to.slice(0, 10) || (to.slice(11, 16) === '00:00' && open.end - open.start <= 86_400_000);
      const window = sameDay
        ? `${from.slice(0, 10)} ${from.slice(11, 16)}–${to.slice(11, 16) === '00:00' ? '24:00' : to.slice(11, 16)}`
        : `${from.slice(0, 10)} ${from.slice(11, 16)} – ${to.slice(0, 10)} ${to.slice(11, 16)}`;
      const missingShare = new Map<string, Decimal>();
      for (const [d, missing] of open.perDay) {
        const seenThatDay = dayTotals.get(d) ?? 0;
        if (seenThatDay > 0) missingShare.set(d, new Decimal(missing).dividedBy(seenThatDay));
      }
      gaps.push({ provider, window, days: new Set(open.perDay.keys()), missingShare, seen: open.seen, usual: Math.round(open.usual), missingRecords: Math.round(open.usual - open.seen), hours: open.hours, allDays });
      open = null;
    };
    for (const d of allDays) {
      for (let hour = 0; hour < 24; hour++) {
        const start = Date.parse(`${d}T${String(hour).padStart(2, '0')}:00:00Z`);
        const seen = counts.get(`${d}T${String(hour).padStart(2, '0')}`) ?? 0;
        const expected = usualAt(d, hour);
        if (expected >= GAP_MIN_USUAL && seen < expected * GAP_SHARE) {
          open ??= { start, end: start, seen: 0, usual: 0, perDay: new Map(), hours: [] };
          open.end = start + 3_600_000;
          open.hours.push(`${d}T${String(hour).padStart(2, '0')}`);
          open.seen += seen;
          open.usual += expected;
          open.perDay.set(d, (open.perDay.get(d) ?? 0) + expected - seen);
        } else {
          close();
        }
      }
    }
    close();
  }
  return gaps;
}
