-- Ingest: SQL-side validation helpers and the ledger dedupe index.

-- True when v is an RFC 3339 timestamp (with offset) that casts to timestamptz without error.
-- The loader validates a whole staged file in one statement, so the check must never raise:
-- the regex bounds every field and the CASE only reaches make_date once the month is valid.
create or replace function recon_is_timestamp(v text) returns boolean
language sql immutable parallel safe as $$
  select case
    when v !~ '^(19|20)\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?([Zz]|[+-]([01]\d|2[0-3])(:?[0-5]\d)?)$' then false
    else substr(v, 9, 2)::int <= extract(day from make_date(substr(v, 1, 4)::int, substr(v, 6, 2)::int, 1) + interval '1 month - 1 day')::int
  end
$$;

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
