-- Per-cell attribution of variance to causes: for every variance cell of a run, the amounts each
-- cause took from its volume and price effects, plus 'unexplained'. Per cell they sum exactly to
-- the cell's variance_amount, so the invariant can be checked (and shown) cell by cell;
-- run_variance_cause holds the same amounts rolled up with their evidence.
create table run_variance_cell_cause (
  run_id          bigint not null references run (id) on delete cascade,
  provider        text not null,
  model           text not null,
  token_category  text not null,
  service_tier    text not null,
  day             date not null,
  cause           text not null,
  -- 'volume' or 'price': which effect of the cell the amount came from
  effect          text not null check (effect in ('volume', 'price')),
  amount          numeric not null,
  quantity        numeric
);
create index run_variance_cell_cause_run on run_variance_cell_cause (run_id, provider, model, token_category, service_tier, day);
