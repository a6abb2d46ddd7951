-- Ledger roll-up: each ingested ledger file's records grouped, once, at ingest, by UTC day and by
-- every column pricing depends on (src/ingest/ledger-rollup.ts). Pricing reads these groups
-- instead of the month's records; a group whose time or input-size range straddles a price or
-- alias boundary sends its day back to the records (src/pricing/queries.ts), so prices stay exact.

create table ledger_file_rollup (
  ingested_file_id   bigint not null references ingested_file (id) on delete cascade,
  day                date not null,
  provider           text not null,
  response_model     text not null,
  requested_model    text,
  service_tier       text not null,
  region             text,
  team               text,
  service            text,
  workflow           text,
  cost_center        text,
  environment        text,
  gateway_key_id     text,
  status             text not null,
  is_retry           boolean not null,
  price_card_version text,
  has_estimate       boolean not null,
  -- which categories the records have tokens in (a record missing a price is counted per record)
  has_input          boolean not null,
  negative_uncached  boolean not null,
  has_cached_input   boolean not null,
  has_cache_write_5m boolean not null,
  has_cache_write_1h boolean not null,
  has_output         boolean not null,
  -- the evidence audit's checks that need more than one column of a record (src/audit)
  conversation_only  boolean not null,
  bad_token_counts   boolean not null,
  unlinked_retry     boolean not null,
  no_correlation_id  boolean not null,
  -- the cuts the group was made within: time cut (0 at ingest) and input-size cut against the
  -- long-context thresholds known at the time (see ledger-rollup.ts)
  time_cut           integer not null,
  size_cut           integer not null,
  first_ts           timestamptz not null,
  last_ts            timestamptz not null,
  min_input_tokens   bigint not null,
  max_input_tokens   bigint not null,
  max_attempt        integer,
  records            bigint not null,
  q_uncached         numeric not null,
  q_cached_input     numeric not null,
  q_cache_write_5m   numeric not null,
  q_cache_write_1h   numeric not null,
  q_output           numeric not null,
  q_reasoning        numeric not null,
  gateway_cost       numeric
);
create index ledger_file_rollup_file_day on ledger_file_rollup (ingested_file_id, day);

-- The files whose roll-up is complete, with the records it holds: a file missing here is rolled
-- up by the first run that needs it (files loaded before this migration, rows written directly).
create table ledger_rolled_up_file (
  ingested_file_id bigint primary key references ingested_file (id) on delete cascade,
  records          bigint not null,
  rolled_up_at     timestamptz not null default now()
);
