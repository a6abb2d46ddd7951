-- Who closed a period, beside when (closed_at) and on which run (closed_by_run): the name of the
-- HTTP token that posted the close, or the operating-system user that ran `recon close`. Null for
-- periods closed before this was recorded. The allocation workbook's Close sheet shows it.
alter table period add column closed_by text;
