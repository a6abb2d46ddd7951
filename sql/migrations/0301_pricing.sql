-- Pricing: the resolved ("wide") card each run priced with, the gateway's own estimate per
-- record group next to recon's price, alias lookup, and the built-in model aliases.

-- Card lookups by key (import overlap reports, gaps, resolve of one record) stay index-driven.
create index if not exists rate_card_line_key on rate_card_line (provider, model, service_tier, token_category);
create index if not exists model_alias_lookup on model_alias (provider, alias);

-- One row per price slot a run used: a (provider, model, tier, region, long-context band) over a
-- time segment in which no line of that key changes, with every category's price side by side.
-- Pricing joins a ledger record to exactly one slot (about 3x faster than a row per category), and
-- the slot keeps the line and version ids: the evidence of which price applied.
create table run_price_card (
  run_id              bigint not null references run (id) on delete cascade,
  slot_id             integer not null,
  provider            text not null,
  model               text not null,
  service_tier        text not null,
  -- '' = the slot for every region without lines of its own
  region              text not null,
  -- long-context band: records with band_lo < input_tokens <= band_hi (base band: band_lo = -1)
  band_lo             bigint not null,
  band_hi             bigint not null,
  valid_from          timestamptz not null,
  valid_to            timestamptz not null,
  input_price              numeric, input_line_id              bigint, input_version_id              bigint,
  cached_input_price       numeric, cached_input_line_id       bigint, cached_input_version_id       bigint,
  cache_write_5m_price     numeric, cache_write_5m_line_id     bigint, cache_write_5m_version_id     bigint,
  cache_write_1h_price     numeric, cache_write_1h_line_id     bigint, cache_write_1h_version_id     bigint,
  output_price             numeric, output_line_id             bigint, output_version_id             bigint,
  reasoning_output_price   numeric, reasoning_output_line_id   bigint, reasoning_output_version_id   bigint,
  request_price            numeric, request_line_id            bigint, request_version_id            bigint,
  primary key (run_id, slot_id)
);

-- What the gateway estimated for a group of records (its own price card version) next to what
-- recon priced the same records at: stale or wrong gateway price cards show with their amount.
create table run_gateway_estimate (
  run_id                bigint not null references run (id) on delete cascade,
  day                   date not null,
  provider              text not null,
  model                 text not null,
  service_tier          text not null,
  -- the card version the gateway says it priced with (ledger price_card_version)
  gateway_card_version  text,
  -- recon's card version(s) in effect, comma separated by version name
  recon_card_versions   text,
  records               bigint not null,
  records_with_estimate bigint not null,
  unpriced_records      bigint not null,
  gateway_cost          numeric,
  recon_cost            numeric not null,
  -- gateway minus recon over the records that carry a gateway estimate
  drift                 numeric
);
create index run_gateway_estimate_run on run_gateway_estimate (run_id);

-- Canonical model of one name at one instant, or the name itself. For small tables (invoice
-- lines); pricing joins model_alias set-based instead.
create or replace function resolve_model(p_provider text, p_name text, p_at timestamptz)
returns text language sql stable parallel safe as $$
  select coalesce(
    (select a.model from model_alias a
      where a.provider = p_provider and a.alias = p_name
        and a.effective_from <= p_at and (a.effective_to is null or p_at < a.effective_to)
      order by a.effective_from desc limit 1),
    p_name)
$$;

-- Built-in aliases ------------------------------------------------------------------------------

-- OpenAI undated names follow OpenAI's published pointer moves (gpt-4o moved to the 2024-08-06
-- snapshot on 2024-10-02); before a move the name priced as the earlier snapshot.
insert into model_alias (provider, alias, model, effective_from, effective_to, source)
select p.provider, a.alias, a.model, a.effective_from::timestamptz, a.effective_to::timestamptz, 'builtin'
from (values ('openai'), ('azure.ai.openai')) as p (provider)
cross join (values
  ('gpt-4o',        'gpt-4o-2024-05-13',        '-infinity',            '2024-10-02T00:00:00Z'),
  ('gpt-4o',        'gpt-4o-2024-08-06',        '2024-10-02T00:00:00Z', null),
  ('gpt-4o-mini',   'gpt-4o-mini-2024-07-18',   '-infinity',            null),
  ('gpt-4.1',       'gpt-4.1-2025-04-14',       '-infinity',            null),
  ('gpt-4.1-mini',  'gpt-4.1-mini-2025-04-14',  '-infinity',            null),
  ('gpt-4.1-nano',  'gpt-4.1-nano-2025-04-14',  '-infinity',            null),
  ('o1',            'o1-2024-12-17',            '-infinity',            null),
  ('o3',            'o3-2025-04-16',            '-infinity',            null),
  ('o3-mini',       'o3-mini-2025-01-31',       '-infinity',            null),
  ('o4-mini',       'o4-mini-2025-04-16',       '-infinity',            null),
  ('gpt-5',         'gpt-5-2025-08-07',         '-infinity',            null),
  ('gpt-5-mini',    'gpt-5-mini-2025-08-07',    '-infinity',            null),
  ('gpt-5-nano',    'gpt-5-nano-2025-08-07',    '-infinity',            null)
) as a (alias, model, effective_from, effective_to);

-- Azure deployments named after the model use Azure's spelling (no dot in 3.5).
insert into model_alias (provider, alias, model, effective_from, effective_to, source) values
  ('azure.ai.openai', 'gpt-35-turbo', 'gpt-3.5-turbo-0125', '-infinity', null, 'builtin'),
  ('azure.ai.openai', 'gpt-35-turbo-0125', 'gpt-3.5-turbo-0125', '-infinity', null, 'builtin'),
  ('azure.ai.openai', 'gpt-35-turbo-16k', 'gpt-3.5-turbo-16k', '-infinity', null, 'builtin');

-- Anthropic undated names.
insert into model_alias (provider, alias, model, effective_from, effective_to, source)
select p.provider, a.alias, a.model, '-infinity', null, 'builtin'
from (values ('anthropic'), ('gcp.vertex_ai')) as p (provider)
cross join (values
  ('claude-3-5-haiku-latest',  'claude-3-5-haiku-20241022'),
  ('claude-3-7-sonnet-latest', 'claude-3-7-sonnet-20250219'),
  ('claude-sonnet-4-0',        'claude-sonnet-4-20250514'),
  ('claude-opus-4-0',          'claude-opus-4-20250514'),
  ('claude-opus-4-1',          'claude-opus-4-1-20250805'),
  ('claude-sonnet-4-5',        'claude-sonnet-4-5-20250929'),
  ('claude-haiku-4-5',         'claude-haiku-4-5-20251001'),
  ('claude-opus-4-5',          'claude-opus-4-5-20251101')
) as a (alias, model);

-- Bedrock model ids and cross-region inference profiles: [geo.]anthropic.<model>-vN:0 -> <model>.
insert into model_alias (provider, alias, model, effective_from, effective_to, source)
select 'aws.bedrock', g.prefix || 'anthropic.' || m.model || m.suffix, m.model, '-infinity', null, 'builtin'
from (values (''), ('us.'), ('eu.'), ('apac.'), ('jp.'), ('au.'), ('global.'), ('us-gov.')) as g (prefix)
cross join (values
  ('claude-3-haiku-20240307',    '-v1:0'),
  ('claude-3-5-haiku-20241022',  '-v1:0'),
  ('claude-3-5-sonnet-20240620', '-v1:0'),
  ('claude-3-5-sonnet-20241022', '-v2:0'),
  ('claude-3-7-sonnet-20250219', '-v1:0'),
  ('claude-sonnet-4-20250514',   '-v1:0'),
  ('claude-opus-4-20250514',     '-v1:0'),
  ('claude-opus-4-1-20250805',   '-v1:0'),
  ('claude-sonnet-4-5-20250929', '-v1:0'),
  ('claude-haiku-4-5-20251001',  '-v1:0'),
  ('claude-opus-4-5-20251101',   '-v1:0')
) as m (model, suffix);
