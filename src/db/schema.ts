import type { ColumnType, Generated } from 'kysely';
import type { CardCategory, CellStatus, ChargeMode, DisputeStatus, FileKind, JOB_STATUSES, LineType, PERIOD_STATUSES, RUN_STATUSES, ServiceTier, VARIANCE_EFFECTS, WORKBOOK_KINDS } from '../vocabulary.ts';

type Word<T extends readonly string[]> = T[number];

// Row types of the tables in sql/migrations. int8, numeric and date columns are read as text
// (see connection.ts); timestamps as Date. Write numerics as decimal text, never as numbers.

type Id = ColumnType<string, string | number | undefined, string | number>;
type Text = string;
type Numeric = ColumnType<string, string, string>;
type Int8 = ColumnType<string, string | number, string | number>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json = ColumnType<unknown, string, string>;
/** The file that replaced a row's file (migration 0120); null while the row counts. */
type RetiredBy = ColumnType<string | null, string | null | undefined, string | null>;

export interface IngestedFileTable {
  id: Generated<string>;
  kind: FileKind;
  format: Text;
  path: Text;
  sha256: Text;
  bytes: Int8;
  provider: Text | null;
  first_day: Text | null;
  last_day: Text | null;
  rows_read: Generated<string>;
  rows_stored: Generated<string>;
  rows_duplicate: Generated<string>;
  rows_rejected: Generated<string>;
  rows_untagged: Generated<string>;
  status: Generated<'loaded' | 'replaced'>;
  replaced_by: string | null;
  replace_reason: Text | null;
  ingested_at: Generated<Date>;
}

export interface RejectedRowTable {
  id: Generated<string>;
  ingested_file_id: string | null;
  file_path: Text;
  line: string | null;
  field: Text | null;
  value: Text | null;
  reason: Text;
  raw: Text | null;
  created_at: Generated<Date>;
}

export interface LedgerRecordTable {
  ts: Timestamp;
  request_id: Text;
  ingested_file_id: Int8;
  source_line: Int8 | null;
  provider: Text;
  response_model: Text;
  requested_model: Text | null;
  original_request_id: Text | null;
  attempt: number | null;
  input_tokens: Int8;
  output_tokens: Int8;
  cache_read_input_tokens: Generated<string>;
  cache_write_5m_input_tokens: Generated<string>;
  cache_write_1h_input_tokens: Generated<string>;
  reasoning_output_tokens: Generated<string>;
  service_tier: Generated<string>;
  status: Generated<string>;
  http_status: number | null;
  team: Text | null;
  service: Text | null;
  cost_center: Text | null;
  tenant: Text | null;
  environment: Text | null;
  workflow: Text | null;
  user_id: Text | null;
  gateway_key_id: Text | null;
  region: Text | null;
  price_card_version: Text | null;
  gateway_cost_usd: Numeric | null;
  provider_response_id: Text | null;
  trace_id: Text | null;
  conversation_id: Text | null;
  retired_by: RetiredBy;
}

export interface InvoiceLineTable {
  id: Generated<string>;
  ingested_file_id: Int8;
  source_line: Int8 | null;
  provider: Text;
  invoice_id: Text;
  charge_date: Text;
  provider_model: Text | null;
  model: Text | null;
  token_category: Text | null;
  service_tier: Generated<string>;
  region: Text | null;
  quantity: Numeric | null;
  amount: Numeric;
  currency: Generated<string>;
  line_type: LineType;
  sku: Text | null;
  mapping_rule: Text | null;
  account_ref: Text | null;
  retired_by: RetiredBy;
  /** Google Cloud's currency_conversion_rate (units of `currency` per USD), migration 0201 */
  usd_conversion_rate: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Exchange rates (migration 0201, owned by src/fx). */
export interface FxRateTable {
  id: Generated<string>;
  currency: Text;
  reporting_currency: Text;
  basis: 'day' | 'month';
  effective_date: Text;
  rate: Numeric;
  source: Text;
  file_path: Text;
  source_line: Int8 | null;
  imported_at: Generated<Date>;
}

export interface ProviderUsageTable {
  id: Generated<string>;
  ingested_file_id: Int8;
  source_line: Int8 | null;
  provider: Text;
  usage_date: Text;
  provider_model: Text | null;
  model: Text | null;
  token_category: Text;
  service_tier: Generated<string>;
  quantity: Numeric;
  requests: Int8 | null;
  account_ref: Text | null;
  retired_by: RetiredBy;
}

export interface RateCardVersionTable {
  id: Generated<string>;
  card_version: Text;
  source: Text;
  ingested_file_id: string | null;
  imported_at: Generated<Date>;
}

export interface RateCardLineTable {
  id: Generated<string>;
  card_version_id: Int8;
  provider: Text;
  model: Text;
  service_tier: ServiceTier;
  token_category: CardCategory;
  region: Generated<string>;
  min_input_tokens: Generated<string>;
  unit_price: Numeric;
  effective_from: Timestamp;
  effective_to: Timestamp | null;
  retired_by_version_id: string | null;
}

export interface ModelAliasTable {
  id: Generated<string>;
  provider: Text;
  alias: Text;
  model: Text;
  effective_from: Generated<Date>;
  effective_to: Timestamp | null;
  source: Text;
}

export interface TeamOwnerTable {
  team: Text;
  cost_center: Text | null;
  owner: Text | null;
  monthly_budget: Numeric | null;
  source: Text;
}

export interface GatewayKeyOwnerTable {
  gateway_key_id: Text;
  team: Text;
  service: Text | null;
  environment: Text | null;
  source: Text;
}

export interface PeriodTable {
  period: Text;
  status: Generated<Word<typeof PERIOD_STATUSES>>;
  closed_at: Timestamp | null;
  closed_by_run: string | null;
  /** who closed it: HTTP token name or OS user (0620); null when not recorded */
  closed_by: Text | null;
  reopened_at: Timestamp | null;
  reopen_reason: Text | null;
}

export interface RunTable {
  id: Generated<string>;
  period: Text;
  trigger: Generated<string>;
  status: Generated<Word<typeof RUN_STATUSES>>;
  started_at: Generated<Date>;
  finished_at: Timestamp | null;
  error: Text | null;
  inputs: ColumnType<unknown, string | undefined, string>;
  inputs_hash: Text | null;
  policy: Json | null;
  summary: Json | null;
  results_hash: Text | null;
  reopen_reason: Text | null;
  pid: number | null;
  host: Text | null;
}

export interface RunCostCubeTable {
  run_id: Int8;
  day: Text;
  provider: Text;
  model: Text;
  requested_model: Text | null;
  service_tier: Text;
  token_category: Text;
  region: Text | null;
  team: Text | null;
  service: Text | null;
  workflow: Text | null;
  cost_center: Text | null;
  environment: Text | null;
  gateway_key_id: Text | null;
  status: Text;
  is_retry: Generated<boolean>;
  owner_source: Text | null;
  card_version_id: string | null;
  unpriced_reason: Text | null;
  records: Int8;
  quantity: Numeric;
  cost: Numeric;
  gateway_cost: Numeric | null;
}

export interface RunVarianceCellTable {
  run_id: Int8;
  provider: Text;
  model: Text;
  token_category: Text;
  service_tier: Text;
  day: Text;
  invoice_quantity: Numeric;
  invoice_amount: Numeric;
  ledger_quantity: Numeric;
  ledger_amount: Numeric;
  card_unit_price: Numeric | null;
  volume_effect: Numeric;
  price_effect: Numeric;
  variance_amount: Numeric;
  variance_pct: Numeric | null;
  quantity_variance: Numeric;
  status: CellStatus;
  invoice_line_ids: ColumnType<string[], string[] | undefined, string[]>;
}

export interface RunVarianceCauseTable {
  run_id: Int8;
  cause: Text;
  provider: Text;
  model: Text | null;
  token_category: Text | null;
  service_tier: Text | null;
  day: Text | null;
  amount: Numeric;
  quantity: Numeric | null;
  cells_affected: Generated<number>;
  record_count: Generated<string>;
  sample_request_ids: ColumnType<string[], string[] | undefined, string[]>;
  invoice_line_ids: ColumnType<string[], string[] | undefined, string[]>;
  rule: Text;
  detail: Text | null;
}

export interface RunAllocationTable {
  run_id: Int8;
  provider: Text;
  invoice_id: Text;
  team: Text;
  cost_center: Text | null;
  service: Text | null;
  workflow: Text | null;
  model: Text | null;
  component: Text;
  basis: Numeric;
  amount: Numeric;
  rule: Text;
  cause: Text | null;
  /** migration 0560 */
  commitment_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface RunTeamSummaryTable {
  run_id: Int8;
  team: Text;
  cost_center: Text | null;
  allocated: Numeric;
  priced_cost: Numeric;
  attributable_share: Numeric | null;
  variance_share: Numeric | null;
  untagged_exposure: Numeric;
  unexplained_exposure: Numeric;
  mode: ChargeMode;
  mode_reason: Text;
  budget: Numeric | null;
  forecast: Numeric | null;
  alerts: ColumnType<unknown, string | undefined, string>;
  own_priced_usage: Numeric | null;
  charge_bridge: ColumnType<unknown, string | undefined, string>;
  uncaused: Numeric | null;
  bridge_flagged: Generated<boolean>;
}

export interface DisputeTable {
  id: Generated<string>;
  period: Text;
  team: Text;
  reason: Text;
  ref: Text | null;
  amount: Numeric | null;
  status: Generated<DisputeStatus>;
  opened_at: Generated<Date>;
  due_date: Text | null;
  resolved_at: Timestamp | null;
  resolution_note: Text | null;
  applied_in_run: string | null;
  receiving_team: Text | null;
  /** the run of the dispute workbook the dispute was imported from, and its form line (0610) */
  import_run_id: string | null;
  import_line: number | null;
}

export interface WorkbookIssueTable {
  id: Generated<string>;
  period: Text;
  run_id: Int8;
  kind: Word<typeof WORKBOOK_KINDS>;
  team: Text | null;
  path: Text;
  sha256: Text;
  issued_at: Generated<Date>;
}

export interface JobRunTable {
  id: Generated<string>;
  job: Text;
  scheduled_for: Timestamp | null;
  started_at: Generated<Date>;
  finished_at: Timestamp | null;
  status: Generated<Word<typeof JOB_STATUSES>>;
  error: Text | null;
  counts: ColumnType<unknown, string | undefined, string>;
  run_id: string | null;
  pid: number | null;
}

export interface SchemaMigrationTable {
  name: Text;
  sha256: Text;
  applied_at: Generated<Date>;
}

/** migration 0560: provisioned capacity and commitments (src/commitments) */
export interface CommitmentTable {
  id: Text;
  provider: Text;
  kind: 'ptu' | 'provisioned_throughput' | 'committed_spend' | 'prepaid_credit';
  deployment: Text | null;
  model: Text | null;
  region: Text | null;
  quantity: Numeric;
  unit: Text;
  price: Numeric;
  price_per: 'hour' | 'month' | 'term';
  capacity_per_hour: Numeric | null;
  effective_from: Timestamp;
  effective_to: Timestamp;
  bills_under: ColumnType<string[], string[], string[]>;
  content_hash: Text;
  imported_at: Generated<Date>;
}

export interface RunCommitmentHourTable {
  run_id: Int8;
  commitment_id: Text;
  provider: Text;
  invoice_id: Text;
  hour: Timestamp;
  amount: Numeric;
  used: Numeric;
  idle: Numeric;
  tokens: Numeric;
  records: Int8;
  utilisation: Numeric;
}

export interface FocusExportTable {
  id: Generated<string>;
  period: Text;
  run_id: Int8;
  rows: number;
  exported_at: Generated<Date>;
}

export interface FocusExportRowTable {
  export_id: Int8;
  origin_charge_id: Int8;
  owner_key: Text;
  billed_cost: Numeric;
  ratio: Numeric;
  row: Json;
  seq: number;
}

export interface LedgerFileRollupTable {
  ingested_file_id: Int8;
  day: Text;
  provider: Text;
  response_model: Text;
  requested_model: Text | null;
  service_tier: Text;
  region: Text | null;
  team: Text | null;
  service: Text | null;
  workflow: Text | null;
  cost_center: Text | null;
  environment: Text | null;
  gateway_key_id: Text | null;
  status: Text;
  is_retry: boolean;
  price_card_version: Text | null;
  has_estimate: boolean;
  has_input: boolean;
  negative_uncached: boolean;
  has_cached_input: boolean;
  has_cache_write_5m: boolean;
  has_cache_write_1h: boolean;
  has_output: boolean;
  conversation_only: boolean;
  bad_token_counts: boolean;
  unlinked_retry: boolean;
  no_correlation_id: boolean;
  time_cut: number;
  size_cut: number;
  first_ts: Timestamp;
  last_ts: Timestamp;
  min_input_tokens: Int8;
  max_input_tokens: Int8;
  max_attempt: number | null;
  records: Int8;
  q_uncached: Numeric;
  q_cached_input: Numeric;
  q_cache_write_5m: Numeric;
  q_cache_write_1h: Numeric;
  q_output: Numeric;
  q_reasoning: Numeric;
  gateway_cost: Numeric | null;
}

export interface LedgerRolledUpFileTable {
  ingested_file_id: Int8;
  records: Int8;
  rolled_up_at: Generated<Date>;
}

export interface RunGatewayEstimateTable {
  run_id: Int8;
  day: Text;
  provider: Text;
  model: Text;
  service_tier: Text;
  gateway_card_version: Text | null;
  recon_card_versions: Text | null;
  records: Int8;
  records_with_estimate: Int8;
  unpriced_records: Int8;
  gateway_cost: Numeric | null;
  recon_cost: Numeric;
  drift: Numeric | null;
}

export interface RunPriceCardTable {
  run_id: Int8;
  slot_id: number;
  provider: Text;
  model: Text;
  service_tier: Text;
  region: Text;
  band_lo: Int8;
  band_hi: Int8;
  valid_from: Timestamp;
  valid_to: Timestamp;
  input_price: Numeric | null;
  input_line_id: Int8 | null;
  input_version_id: Int8 | null;
  cached_input_price: Numeric | null;
  cached_input_line_id: Int8 | null;
  cached_input_version_id: Int8 | null;
  cache_write_5m_price: Numeric | null;
  cache_write_5m_line_id: Int8 | null;
  cache_write_5m_version_id: Int8 | null;
  cache_write_1h_price: Numeric | null;
  cache_write_1h_line_id: Int8 | null;
  cache_write_1h_version_id: Int8 | null;
  output_price: Numeric | null;
  output_line_id: Int8 | null;
  output_version_id: Int8 | null;
  reasoning_output_price: Numeric | null;
  reasoning_output_line_id: Int8 | null;
  reasoning_output_version_id: Int8 | null;
  request_price: Numeric | null;
  request_line_id: Int8 | null;
  request_version_id: Int8;
}

export interface RunTeamShowbackTable {
  run_id: Int8;
  team: Text;
  cost_center: Text | null;
  prior_month_actual: Numeric | null;
  priced_to_date: Generated<string>;
  allocated: Numeric | null;
  spend_to_date: Numeric;
  forecast: Numeric | null;
  forecast_method: Text;
  daily_run_rate: Numeric | null;
  complete_days: number;
  days_in_month: number;
  budget: Numeric | null;
  share_used: Numeric | null;
  forecast_share: Numeric | null;
  alerts: Generated<unknown>;
}

export interface Database {
  ingested_file: IngestedFileTable;
  rejected_row: RejectedRowTable;
  ledger_record: LedgerRecordTable;
  invoice_line: InvoiceLineTable;
  provider_usage: ProviderUsageTable;
  fx_rate: FxRateTable;
  rate_card_version: RateCardVersionTable;
  rate_card_line: RateCardLineTable;
  model_alias: ModelAliasTable;
  team_owner: TeamOwnerTable;
  gateway_key_owner: GatewayKeyOwnerTable;
  period: PeriodTable;
  run: RunTable;
  run_cost_cube: RunCostCubeTable;
  run_variance_cell: RunVarianceCellTable;
  run_variance_cause: RunVarianceCauseTable;
  run_variance_cell_cause: {
    run_id: Int8;
    provider: Text;
    model: Text;
    token_category: Text;
    service_tier: Text;
    day: Text;
    cause: Text;
    effect: Word<typeof VARIANCE_EFFECTS>;
    amount: Numeric;
    quantity: Numeric | null;
  };
  run_allocation: RunAllocationTable;
  run_team_summary: RunTeamSummaryTable;
  dispute: DisputeTable;
  workbook_issue: WorkbookIssueTable;
  job_run: JobRunTable;
  schema_migration: SchemaMigrationTable;
  ledger_file_rollup: LedgerFileRollupTable;
  ledger_rolled_up_file: LedgerRolledUpFileTable;
  run_price_card: RunPriceCardTable;
  run_gateway_estimate: RunGatewayEstimateTable;
  run_team_showback: RunTeamShowbackTable;
  focus_export: FocusExportTable;
  focus_export_row: FocusExportRowTable;
  commitment: CommitmentTable;
  run_commitment_hour: RunCommitmentHourTable;
}
