-- Exchange rates (src/fx owns fx_rate): what one unit of `currency` is worth in `reporting_currency`.
-- A 'month' row holds for its whole month (effective_date is the month's first day); a 'day' row
-- holds from its day to the next day row of the same month. An invoice line's reporting amount
-- is its billed amount times the rate in effect on its charge date (src/fx/queries.ts).
-- Rows are never updated: the same row imported again changes nothing, a different rate for the
-- same (currency, basis, date) is rejected, so a run's conversions stay what they were.
create table fx_rate (
  id                  bigserial primary key,
  currency            text not null check (currency ~ '^[A-Z]{3}$'),
  reporting_currency  text not null check (reporting_currency ~ '^[A-Z]{3}$' and reporting_currency <> currency),
  basis               text not null check (basis in ('day', 'month')),
  effective_date      date not null check (basis = 'day' or extract(day from effective_date) = 1),
  rate                numeric not null check (rate > 0),
  source              text not null,
  file_path           text not null,
  source_line         bigint,
  imported_at         timestamptz not null default now(),
  unique (reporting_currency, currency, basis, effective_date)
);

-- The provider's own exchange rate on the line, when its export carries one: Google Cloud's
-- `currency_conversion_rate` (units of the line's currency per US dollar). Used for a USD
-- reporting currency only when fx_rate has no rate for the line's day.
alter table invoice_line add column usd_conversion_rate numeric;
