-- A dispute opened by `recon dispute import` from a line of a team's dispute workbook names that
-- workbook's run and the form line ("new N" is line N), so importing the same file again opens
-- nothing new. Null for disputes opened otherwise (recon dispute open, the web page).
alter table dispute add column import_run_id bigint;
alter table dispute add column import_line integer;
create unique index dispute_import_line on dispute (import_run_id, team, import_line) where import_run_id is not null;
