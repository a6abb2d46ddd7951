-- Ingest: the ledger dedupe index and partitions without the plain request_id index.

-- The same request in two overlapping exports is stored once. A unique (request_id, ts) index on
-- the partitioned table lets the loader insert with ON CONFLICT DO NOTHING instead of sorting the
-- file to find duplicates; it replaces the plain per-partition request_id index (same upkeep cost).
create unique index if not exists ledger_record_request on ledger_record (request_id, ts);

create or replace function ensure_ledger_partitions(from_ts timestamptz, to_ts timestamptz)
returns void language plpgsql as $$
declare
  month_start timestamptz := date_trunc('month', from_ts at time zone 'UTC') at time zone 'UTC';
  partition_name text;
begin
  while month_start < to_ts loop
    partition_name := 'ledger_record_' || to_char(month_start at time zone 'UTC', 'YYYY_MM');
    if to_regclass(partition_name) is null then
      -- the unique (request_id, ts) index of the parent is created on the partition automatically
      execute format(
        'create table %I partition of ledger_record for values from (%L) to (%L)',
        partition_name, month_start, (month_start at time zone 'UTC' + interval '1 month') at time zone 'UTC');
      execute format('create index %I on %I (ingested_file_id)', partition_name || '_file', partition_name);
    end if;
    month_start := (month_start at time zone 'UTC' + interval '1 month') at time zone 'UTC';
  end loop;
end;
$$;

create index if not exists rejected_row_path on rejected_row (file_path);
