-- Run results are written in bulk, inside the same transaction that created their run row, and are
-- never deleted apart from it: the per-row foreign-key check cost about 1 s per 100,000 cube rows
-- and guarded nothing the run's transaction does not already guarantee.
alter table run_cost_cube drop constraint if exists run_cost_cube_run_id_fkey;
alter table run_variance_cell drop constraint if exists run_variance_cell_run_id_fkey;
alter table run_variance_cause drop constraint if exists run_variance_cause_run_id_fkey;
alter table run_allocation drop constraint if exists run_allocation_run_id_fkey;
alter table run_team_summary drop constraint if exists run_team_summary_run_id_fkey;
