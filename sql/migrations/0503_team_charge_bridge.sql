-- Per team: what it is charged against its own priced usage, and what moved the difference
-- (src/allocate/charge-bridge.ts). own_priced_usage is the priced cost of the team's own records
-- in the run, billed or not; charge_bridge lists [{why, amount}] adding up exactly to
-- allocated − own_priced_usage; uncaused is the part no cause explains, flagged beyond tolerance.
alter table run_team_summary
  add column own_priced_usage numeric,
  add column charge_bridge jsonb not null default '[]'::jsonb,
  add column uncaused numeric,
  add column bridge_flagged boolean not null default false;
