-- recon foundation schema: inputs (append-only facts with their source file and line),
-- reference data (rate cards, aliases, owners), and per-run results.
-- Written for PostgreSQL 15+ and PGlite alike. Money is numeric, never float.

create extension if not exists btree_gist;

-- Inputs ---------------------------------------------------------------------

create table ingested_file (
  id               bigserial primary key,
  kind             text not null check (kind in ('ledger', 'invoice', 'usage', 'ratecard', 'alias', 'owners')),
  format           text not null,
  path             text not null,
  sha256           text not null,
  bytes            bigint not null,
  provider         text,
  -- first and last day (UTC) of the data the file holds, for replacement scope and run inputs
  first_day        date,
  last_day         date,
  rows_read        bigint not null default 0,
  rows_stored      bigint not null default 0,
  rows_duplicate   bigint not null default 0,
  rows_rejected    bigint not null default 0,
  rows_untagged    bigint not null default 0,
  status           text not null default 'loaded' check (status in ('loaded', 'replaced')),
  replaced_by      bigint references ingested_file (id),
  replace_reason   text,
  ingested_at      timestamptz not null default now()
);
-- The same bytes ingested twice change nothing: a file is known by its hash per kind.
create unique index ingested_file_kind_sha256 on ingested_file (kind, sha256);

create table rejected_row (
  id                bigserial primary key,
  ingested_file_id  bigint references ingested_file (id),
  file_path         text not null,
  line              bigint,
  field             text,
  value             text,
  reason            text not null,
  raw               text,
  created_at        timestamptz not null default now()
);
create index rejected_row_file on rejected_row (ingested_file_id);

-- One row per provider attempt, in canonical token meaning (OpenTelemetry GenAI):
-- input_tokens includes cache reads and writes; output_tokens includes reasoning.
-- Partitioned by month on ts so a period's run touches only its partition.
create table ledger_record (
  ts                           timestamptz not null,
  request_id                   text not null,
  ingested_file_id             bigint not null,
  source_line                  bigint,
  provider                     text not null,
  response_model               text not null,
  requested_model              text,
  original_request_id          text,
  attempt                      integer,
  input_tokens                 bigint not null,
  output_tokens                bigint not null,
  cache_read_input_tokens      bigint not null default 0,
  cache_write_5m_input_tokens  bigint not null default 0,
  cache_write_1h_input_tokens  bigint not null default 0,
  reasoning_output_tokens      bigint not null default 0,
  service_tier                 text not null default 'standard',
  status                       text not null default 'ok',
  http_status                  integer,
  team                         text,
  service                      text,
  cost_center                  text,
  tenant                       text,
  environment                  text,
  workflow                     text,
  user_id                      text,
  gateway_key_id               text,
  region                       text,
  price_card_version           text,
  gateway_cost_usd             numeric,
  provider_response_id         text,
  trace_id                     text,
  conversation_id              text
) partition by range (ts);

-- Creates the monthly partitions covering [from_ts, to_ts); safe to call repeatedly.
create or replace function ensure_ledger_partitions(from_ts timestamptz, to_ts timestamptz)
returns void language plpgsql as $$
declare
  month_start timestamptz := date_trunc('month', from_ts at time zone 'UTC') at time zone 'UTC';
  partition_name text;
begin
  while month_start < to_ts loop
    partition_name := 'ledger_record_' || to_char(month_start at time zone 'UTC', 'YYYY_MM');
    if to_regclass(partition_name) is null then
      execute format(
        'create table %I partition of ledger_record for values from (%L) to (%L)',
        partition_name, month_start, (month_start at time zone 'UTC' + interval '1 month') at time zone 'UTC');
      execute format('create index %I on %I (request_id)', partition_name || '_request_id', partition_name);
      execute format('create index %I on %I (ingested_file_id)', partition_name || '_file', partition_name);
    end if;
    month_start := (month_start at time zone 'UTC' + interval '1 month') at time zone 'UTC';
  end loop;
end;
$$;

-- Provider invoice / cost export lines: the financial source of truth.
create table invoice_line (
  id                bigserial primary key,
  ingested_file_id  bigint not null references ingested_file (id),
  source_line       bigint,
  provider          text not null,
  invoice_id        text not null,
  charge_date       date not null,
  provider_model    text,
  -- canonical model after mapping and aliasing; null when the line maps to no model
  model             text,
  -- input | cached_input | cache_write_5m | cache_write_1h | output | request; null for non-usage or unmapped lines
  token_category    text,
  service_tier      text not null default 'standard',
  region            text,
  quantity          numeric,
  amount            numeric not null,
  currency          text not null default 'USD',
  line_type         text not null check (line_type in ('usage', 'discount', 'credit', 'tax', 'fee')),
  -- the provider's own meter / usage type / line item, as read
  sku               text,
  -- which mapping rule turned the sku into (model, category, tier); null = unmapped
  mapping_rule      text,
  -- the provider's project / workspace / account / key dimension, when the export has one
  account_ref       text
);
create index invoice_line_scope on invoice_line (provider, charge_date);
create index invoice_line_file on invoice_line (ingested_file_id);

-- Provider usage reports (tokens without money), used to cross-check quantities.
create table provider_usage (
  id                bigserial primary key,
  ingested_file_id  bigint not null references ingested_file (id),
  source_line       bigint,
  provider          text not null,
  usage_date        date not null,
  provider_model    text,
  model             text,
  token_category    text not null,
  service_tier      text not null default 'standard',
  quantity          numeric not null,
  requests          bigint,
  account_ref       text
);
create index provider_usage_scope on provider_usage (provider, usage_date);

-- Reference data -------------------------------------------------------------

-- Each import of a rate card is a version with its source.
create table rate_card_version (
  id                bigserial primary key,
  card_version      text not null unique,
  source            text not null,
  ingested_file_id  bigint references ingested_file (id),
  imported_at       timestamptz not null default now()
);

-- Prices one (provider, model, tier, category[, region][, long-context threshold]) over
-- [effective_from, effective_to). unit_price is USD per 1M tokens, or per request for 'request'.
create table rate_card_line (
  id                     bigserial primary key,
  card_version_id        bigint not null references rate_card_version (id),
  provider               text not null,
  model                  text not null,
  service_tier           text not null check (service_tier in ('standard', 'batch', 'flex', 'priority')),
  token_category         text not null check (token_category in ('input', 'cached_input', 'cache_write_5m', 'cache_write_1h', 'output', 'reasoning_output', 'request')),
  -- '' means every region
  region                 text not null default '',
  -- long-context tier: applies to requests whose input exceeds this many tokens (0 = base tier)
  min_input_tokens       bigint not null default 0,
  unit_price             numeric not null check (unit_price >= 0),
  effective_from         timestamptz not null,
  effective_to           timestamptz,
  -- a later version that corrected this line; retired lines still price the runs that used them
  retired_by_version_id  bigint references rate_card_version (id),
  check (effective_to is null or effective_to > effective_from),
  constraint rate_card_line_no_overlap exclude using gist (
    provider with =, model with =, service_tier with =, token_category with =, region with =,
    min_input_tokens with =, tstzrange(effective_from, effective_to, '[)') with &&
  ) where (retired_by_version_id is null)
);
create index rate_card_line_version on rate_card_line (card_version_id);

-- Effective-dated model name aliases per provider: ledger and invoice names -> canonical model.
create table model_alias (
  id              bigserial primary key,
  provider        text not null,
  alias           text not null,
  model           text not null,
  effective_from  timestamptz not null default '-infinity',
  effective_to    timestamptz,
  source          text not null,
  constraint model_alias_no_overlap exclude using gist (
    provider with =, alias with =, tstzrange(effective_from, effective_to, '[)') with &&
  )
);

-- Owners: team -> cost center, owner, monthly budget. Replaced whole by each owners import.
create table team_owner (
  team            text primary key,
  cost_center     text,
  owner           text,
  monthly_budget  numeric,
  source          text not null
);

-- Gateway key -> owning team, used when a ledger record has no team.
create table gateway_key_owner (
  gateway_key_id  text primary key,
  team            text not null,
  service         text,
  environment     text,
  source          text not null
);

-- Periods and runs -----------------------------------------------------------

create table period (
  period         text primary key check (period ~ '^\d{4}-(0[1-9]|1[0-2])$'),
  status         text not null default 'open' check (status in ('open', 'closed')),
  closed_at      timestamptz,
  closed_by_run  bigint,
  reopened_at    timestamptz,
  reopen_reason  text
);

-- Every reconciliation is a new, immutable run. Status goes running -> succeeded | failed;
-- the latest succeeded run is the period's current one.
create table run (
  id             bigserial primary key,
  period         text not null,
  trigger        text not null default 'manual',
  status         text not null default 'running' check (status in ('running', 'succeeded', 'failed')),
  started_at     timestamptz not null default now(),
  finished_at    timestamptz,
  error          text,
  -- hashes of everything the results are a function of: files, card versions, aliases, owners, policy
  inputs         jsonb not null default '{}'::jsonb,
  inputs_hash    text,
  policy         jsonb,
  -- the `recon run --json` summary, stored so reruns and diffs compare stored results
  summary        jsonb,
  results_hash   text,
  reopen_reason  text,
  pid            integer,
  host           text
);
create index run_period on run (period, id);

-- Run results ----------------------------------------------------------------

-- The priced ledger of a run, aggregated to the grain every later stage needs.
-- One row per (day, provider, model, tier, category, owner dims, status, priced-or-not).
create table run_cost_cube (
  run_id             bigint not null references run (id) on delete cascade,
  day                date not null,
  provider           text not null,
  model              text not null,
  requested_model    text,
  service_tier       text not null,
  token_category     text not null,
  region             text,
  team               text,
  service            text,
  workflow           text,
  cost_center        text,
  environment        text,
  gateway_key_id     text,
  -- ok | error | partial (ledger status), and whether the record is a retry attempt (attempt > 1)
  status             text not null,
  is_retry           boolean not null default false,
  -- how the owner was found: 'tag' (team on the record), 'key' (gateway key map), null = untagged
  owner_source       text,
  card_version_id    bigint,
  -- null when priced; otherwise why the records could not be priced
  unpriced_reason    text,
  records            bigint not null,
  quantity           numeric not null,
  cost               numeric not null,
  -- what the gateway itself estimated for these records (request level, summed into the category 'request' row only)
  gateway_cost       numeric
);
create index run_cost_cube_run on run_cost_cube (run_id);

-- Invoice vs priced ledger per provider x model x category x tier x day.
create table run_variance_cell (
  run_id              bigint not null references run (id) on delete cascade,
  provider            text not null,
  model               text not null,
  token_category      text not null,
  service_tier        text not null,
  day                 date not null,
  invoice_quantity    numeric not null default 0,
  invoice_amount      numeric not null default 0,
  ledger_quantity     numeric not null default 0,
  ledger_amount       numeric not null default 0,
  card_unit_price     numeric,
  volume_effect       numeric not null default 0,
  price_effect        numeric not null default 0,
  variance_amount     numeric not null default 0,
  variance_pct        numeric,
  quantity_variance   numeric not null default 0,
  status              text not null check (status in ('ok', 'review', 'breach')),
  invoice_line_ids    bigint[] not null default '{}',
  primary key (run_id, provider, model, token_category, service_tier, day)
);

-- Each cause found: amounts of variance attributed to it. Causes plus 'unexplained' equal
-- the variance to the cent. Cell columns are null for causes found at provider level.
create table run_variance_cause (
  run_id            bigint not null references run (id) on delete cascade,
  cause             text not null,
  provider          text not null,
  model             text,
  token_category    text,
  service_tier      text,
  day               date,
  amount            numeric not null,
  quantity          numeric,
  cells_affected    integer not null default 0,
  record_count      bigint not null default 0,
  sample_request_ids text[] not null default '{}',
  invoice_line_ids  bigint[] not null default '{}',
  rule              text not null,
  detail            text
);
create index run_variance_cause_run on run_variance_cause (run_id);

-- The invoice charged to owners, at the finest grain, rounded to the cent once; per provider
-- invoice the amounts sum exactly to the invoiced amount.
create table run_allocation (
  run_id            bigint not null references run (id) on delete cascade,
  provider          text not null,
  invoice_id        text not null,
  team              text not null,
  cost_center       text,
  service           text,
  workflow          text,
  model             text,
  -- usage | retry | untagged | discount | credit | tax | fee | variance | unmatched_invoice | dispute
  component         text not null,
  -- priced-ledger cost the share was computed from
  basis             numeric not null default 0,
  amount            numeric(20, 2) not null,
  rule              text not null
);
create index run_allocation_run on run_allocation (run_id);

-- Per team: confidence, mode (showback / chargeback) and why; budget and forecast.
create table run_team_summary (
  run_id                 bigint not null references run (id) on delete cascade,
  team                   text not null,
  cost_center            text,
  allocated              numeric(20, 2) not null,
  priced_cost            numeric not null default 0,
  attributable_share     numeric,
  variance_share         numeric,
  untagged_exposure      numeric not null default 0,
  unexplained_exposure   numeric not null default 0,
  mode                   text not null check (mode in ('showback', 'chargeback')),
  mode_reason            text not null,
  budget                 numeric,
  forecast               numeric,
  alerts                 jsonb not null default '[]'::jsonb,
  primary key (run_id, team)
);

-- Disputes and workbook issue dates ------------------------------------------

create table dispute (
  id               bigserial primary key,
  period           text not null,
  team             text not null,
  reason           text not null,
  ref              text,
  amount           numeric,
  status           text not null default 'open' check (status in ('open', 'accepted', 'rejected')),
  opened_at        timestamptz not null default now(),
  due_date         date,
  resolved_at      timestamptz,
  resolution_note  text,
  applied_in_run   bigint references run (id)
);
create index dispute_period on dispute (period, team);

create table workbook_issue (
  id         bigserial primary key,
  period     text not null,
  run_id     bigint not null references run (id),
  kind       text not null check (kind in ('allocation', 'dispute')),
  team       text,
  path       text not null,
  sha256     text not null,
  issued_at  timestamptz not null default now()
);
create index workbook_issue_period on workbook_issue (period, kind, team);

-- Scheduled jobs ---------------------------------------------------------------

create table job_run (
  id             bigserial primary key,
  job            text not null,
  scheduled_for  timestamptz,
  started_at     timestamptz not null default now(),
  finished_at    timestamptz,
  status         text not null default 'running' check (status in ('running', 'succeeded', 'failed', 'skipped')),
  error          text,
  counts         jsonb not null default '{}'::jsonb,
  run_id         bigint references run (id),
  pid            integer
);
create index job_run_job on job_run (job, started_at);
