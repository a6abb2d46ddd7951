-- Month-to-date showback per team for a run: spend to date, run-rate forecast, budget and alerts.
-- Written by the run's last stage (src/budget/showback.ts); run_team_summary gets budget, forecast
-- and alerts too when the allocation stage wrote a row for the team, but showback exists for every
-- team with spend or a budget, invoice or not.
create table run_team_showback (
  run_id               bigint not null references run (id) on delete cascade,
  team                 text not null,
  cost_center          text,
  -- the previous period's current run: allocated when it has allocations, else priced cost
  prior_month_actual   numeric,
  -- priced ledger cost of this run (month to date)
  priced_to_date       numeric not null default 0,
  -- the invoice allocated to the team by this run, when there was an invoice to allocate
  allocated            numeric(20, 2),
  -- what budgets are measured against: allocated at month end when present, else priced_to_date
  spend_to_date        numeric not null,
  forecast             numeric,
  forecast_method      text not null,
  -- average daily spend the forecast extends over the remaining days
  daily_run_rate       numeric,
  complete_days        integer not null,
  days_in_month        integer not null,
  budget               numeric,
  share_used           numeric,
  forecast_share       numeric,
  alerts               jsonb not null default '[]'::jsonb,
  primary key (run_id, team)
);
