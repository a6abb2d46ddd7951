-- An accepted dispute names the team that takes its amount. Null: the policy's platform bucket
-- (the default). The bucket's own disputes must name one, or they would move nothing.
alter table dispute add column receiving_team text;
