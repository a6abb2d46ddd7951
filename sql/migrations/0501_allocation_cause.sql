-- The cause an allocation row followed: the cause whose evidence named the records its dollars
-- went to (batch_tier, cache_pricing, fallback_drift, model_alias, streaming_partial,
-- unpriced_model); null for usage charged in the cell the ledger logged it in.
alter table run_allocation add column cause text;
