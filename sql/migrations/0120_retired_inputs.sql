-- Replaced inputs are retired, not deleted: a run keeps reading the files it hashed, so the record
-- of a finished or closed run never changes when a corrected export replaces one of its files.
-- Which files count for a new run is decided by ingested_file.status alone (src/ingest/files-that-count.ts);
-- retired_by marks each row with the file that replaced it.

alter table ledger_record add column retired_by bigint;
alter table invoice_line add column retired_by bigint;
alter table provider_usage add column retired_by bigint;

-- A request is stored once among the live records; a retired record no longer blocks the same
-- request in the file that replaced it.
drop index if exists ledger_record_request;
create unique index ledger_record_request on ledger_record (request_id, ts) where retired_by is null;

-- A file's bytes count as ingested while the file is loaded: the same bytes may be loaded again
-- by a replace (e.g. under the right --format) once the earlier load is replaced.
drop index if exists ingested_file_kind_sha256;
create unique index ingested_file_kind_sha256 on ingested_file (kind, sha256) where status = 'loaded';
