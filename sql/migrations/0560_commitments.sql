-- Provisioned capacity and commitments as data (issue #20 part 2): what a company bought by the
-- hour or the period, the invoice lines it bills under, and, per run, how each hour of it was used.

create table commitment (
  id                 text primary key,
  provider           text not null,
  kind               text not null check (kind in ('ptu', 'provisioned_throughput', 'committed_spend', 'prepaid_credit')),
  -- what ran on it: the deployment name the ledger logs, or the canonical model (at least one)
  deployment         text,
  model              text,
  -- null: any region
  region             text,
  quantity           numeric not null check (quantity > 0),
  unit               text not null,
  -- price of one unit per hour, per month, or for the whole term
  price              numeric not null check (price >= 0),
  price_per          text not null check (price_per in ('hour', 'month', 'term')),
  -- tokens per hour the whole quantity serves; null: an hour with any record on it counts as used
  capacity_per_hour  numeric check (capacity_per_hour > 0),
  effective_from     timestamptz not null,
  -- exclusive
  effective_to       timestamptz not null,
  -- invoice line SKUs (or provider model texts) the commitment bills under
  bills_under        text[] not null,
  -- sha256 of the normalised entry: importing the same entry again changes nothing
  content_hash       text not null,
  imported_at        timestamptz not null default now(),
  check (deployment is not null or model is not null),
  check (effective_to > effective_from)
);

-- Per run, commitment and invoice: each hour's amortised amount, its used and idle parts.
create table run_commitment_hour (
  run_id         bigint not null references run (id) on delete cascade,
  commitment_id  text not null,
  provider       text not null,
  invoice_id     text not null,
  hour           timestamptz not null,
  amount         numeric not null,
  used           numeric not null,
  idle           numeric not null,
  tokens         numeric not null,
  records        bigint not null,
  utilisation    numeric not null
);
create index run_commitment_hour_run on run_commitment_hour (run_id, commitment_id, hour);

-- The commitment an allocated amount came from (null: not from a commitment).
alter table run_allocation add column commitment_id text;
