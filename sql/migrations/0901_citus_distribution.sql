-- Citus (docs/scaling.md): where each table lives when the database is a Citus coordinator.
-- This migration only defines recon_distribute(); src/db/migrate.ts calls it after the migrations,
-- and only when the `citus` extension is installed in the database. On plain PostgreSQL and PGlite
-- the function is never called, so nothing changes there. It is idempotent: a table Citus already
-- knows is left as it is, so every migrate calls it again and a table a later migration adds is
-- placed by adding it to the lists below in a new migration that replaces this function.
--
--   ledger_record       distributed by request_id (hash), monthly range partitions sharded alike:
--                       the dedupe key (request_id, ts) holds the distribution column, so
--                       ON CONFLICT stays a local index check on one shard.
--   ledger_file_rollup  distributed by ingested_file_id: one file's groups are written by one ingest
--                       and deleted with the file (its rows do not carry request_id, so it cannot be
--                       co-located with the records without changing what a row is).
--   reference tables    everything joined with the ledger or with the roll-up on every shard
--                       (cards, aliases, owners, files), and the tables with foreign keys to them.
--   coordinator-local   periods, runs, run results, disputes, workbooks, jobs: read and written by
--                       one run on the coordinator, where recon connects (no network hop; the
--                       advisory locks live there too). Pricing joins run_price_card (a few hundred
--                       slots) with the ledger: Citus ships it to the workers as an intermediate
--                       result, once per statement.
create or replace function recon_distribute() returns void language plpgsql as $$
declare
  t text;
begin
  -- the functions every shard's pricing and audit statements call
  if not exists (select 1 from pg_dist_object where objid = 'model_spelling(text,text)'::regprocedure) then
    perform create_distributed_function('model_spelling(text,text)');
  end if;
  if not exists (select 1 from pg_dist_object where objid = 'resolve_model(text,text,timestamptz)'::regprocedure) then
    perform create_distributed_function('resolve_model(text,text,timestamptz)');
  end if;
  foreach t in array array['model_alias', 'team_owner', 'gateway_key_owner'] loop
    if not exists (select 1 from pg_dist_partition where logicalrelid = t::regclass) then
      perform create_reference_table(t);
    end if;
  end loop;
  if not exists (select 1 from pg_dist_partition where logicalrelid = 'ledger_record'::regclass) then
    perform create_distributed_table('ledger_record', 'request_id');
  end if;
end;
$$;
