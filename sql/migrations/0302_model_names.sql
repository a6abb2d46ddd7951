-- One resolution of model names (src/pricing/model-names.ts): ledger records, rate card lines and
-- invoice lines all reach their canonical model through resolve_model.

-- How a provider spells a snapshot before any alias applies. Vertex AI names Anthropic snapshots
-- `claude-sonnet-4@20250514` and `claude-3-5-sonnet-v2@20241022`: Anthropic's own ids are
-- `claude-sonnet-4-20250514` and `claude-3-5-sonnet-20241022` (the `-v2` is Vertex's name for the
-- October snapshot, which Anthropic dates instead).
create or replace function model_spelling(p_provider text, p_name text)
returns text language sql immutable parallel safe as $$
  select case
    when p_provider = 'gcp.vertex_ai' and p_name ~ '@[0-9]{8}$'
      then regexp_replace(p_name, '(-v[0-9]+)?@([0-9]{8})$', '-\2')
    else p_name end
$$;

-- The canonical model of one name at one instant: the alias in effect for its provider spelling,
-- else the spelling itself. Pricing, variance, causes, allocation, the audit and the workbooks all
-- resolve through this (set-based callers join model_alias on model_spelling(...) the same way).
create or replace function resolve_model(p_provider text, p_name text, p_at timestamptz)
returns text language sql stable parallel safe as $$
  select coalesce(
    (select a.model from model_alias a
      where a.provider = p_provider and a.alias = model_spelling(p_provider, p_name)
        and a.effective_from <= p_at and (a.effective_to is null or p_at < a.effective_to)
      order by a.effective_from desc limit 1),
    model_spelling(p_provider, p_name))
$$;
