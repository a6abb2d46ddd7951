-- What each FOCUS export handed over (issue #20): an exported row is history. A rerun that changes
-- the allocation exports Correction rows against what was exported before, never a rewrite.
create table focus_export (
  id           bigserial primary key,
  period       text not null,
  run_id       bigint not null,
  rows         integer not null,
  exported_at  timestamptz not null default now()
);
create index focus_export_period on focus_export (period, id);

create table focus_export_row (
  export_id         bigint not null references focus_export (id),
  -- the invoice line (origin charge) and the owner × component × cause it was allocated to
  origin_charge_id  bigint not null,
  owner_key         text not null,
  billed_cost       numeric not null,
  ratio             numeric not null,
  -- the FOCUS row exactly as exported, so later exports repeat it verbatim
  row               jsonb not null,
  seq               integer not null
);
create index focus_export_row_export on focus_export_row (export_id);
