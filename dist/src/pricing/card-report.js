import { sql } from 'kysely';
import { executeOn } from "../db/planner-settings.js";
import { ledgerUseByModel, loadedLedgerFiles, rollUpMissingLedgerFiles } from "../ingest/ledger-rollup.js";
import { modelNamesInUse } from "../ingest/names-in-use.js";
import { cardLinesByPriceName } from "./price-slots.js";
export async function selectCardResolution(db, versionId) {
    const { rows } = await sql `
    select c.provider, c.model as written, p.model, p.via_alias,
           nullif(min(p.effective_from), '-infinity') as valid_from, nullif(max(coalesce(p.effective_to, 'infinity')), 'infinity') as valid_to
    from (${cardLinesByPriceName('-infinity', 'infinity')}) p
    join rate_card_line c on c.id = p.line_id
    where p.card_version_id = ${versionId}::bigint
    group by c.provider, c.model, p.model, p.via_alias
    order by c.provider, c.model, p.via_alias, min(p.effective_from), p.model`.execute(db);
    const out = [];
    for (const row of rows) {
        let entry = out[out.length - 1];
        if (!entry || entry.provider !== row.provider || entry.model !== row.written)
            out.push((entry = { provider: row.provider, model: row.written, prices: [] }));
        entry.prices.push({ model: row.model, via: row.via_alias ? 'alias' : row.model === row.written ? 'as_written' : 'spelling', from: row.valid_from, to: row.valid_to });
    }
    return out;
}
/**
 * Card models (in their provider's spelling) that match no known name: no alias maps from or to
 * them (this import's own price-map aliases aside), no other card version prices them, and no
 * ledger record, invoice line or usage row uses them. An alias reaching them from a known name
 * makes them known too.
 */
export async function selectUnknownCardModels(db, versionId, ownAliasSource) {
    const { rows } = await sql `
    with card as (
      select distinct provider, model_spelling(provider, model) as model from rate_card_line where card_version_id = ${versionId}::bigint
    ),
    used as (select provider, model_spelling(provider, name) as name from (${modelNamesInUse()}) n),
    aliases as (select provider, alias, model from model_alias where source <> ${ownAliasSource})
    select c.provider, c.model from card c
    where not exists (select 1 from aliases a where a.provider = c.provider and (a.model = c.model or a.alias = c.model))
      and not exists (select 1 from rate_card_line o where o.provider = c.provider and o.card_version_id <> ${versionId}::bigint and model_spelling(o.provider, o.model) = c.model)
      and not exists (select 1 from used u where u.provider = c.provider and u.name = c.model)
      and not exists (select 1 from used u join aliases a on a.provider = u.provider and a.alias = u.name where u.provider = c.provider and a.model = c.model)
    order by c.provider, c.model`.execute(db);
    return rows;
}
const NEED_ORDER = ['model', 'service_tier', 'token_category'];
const CATEGORY_RECORDS = [
    ['input', 'input_records'],
    ['cached_input', 'cached_input_records'],
    ['cache_write_5m', 'cache_write_5m_records'],
    ['cache_write_1h', 'cache_write_1h_records'],
    ['output', 'output_records'],
];
/**
 * The loaded ledger's models, tiers and token categories within the version's effective range
 * that the version leaves unpriced, by the one rule's names: a record is priced by the lines
 * written for its own name when the version has any for its tier, else by those reaching its
 * canonical model. Rolls up ledger files not rolled up yet (as the next run would). Empty when
 * no ledger is loaded.
 */
export async function selectLedgerNeeds(db, versionId) {
    return db.transaction().execute(async (trx) => {
        const execute = executeOn(trx);
        const files = await execute(loadedLedgerFiles());
        if (files.length === 0)
            return [];
        await rollUpMissingLedgerFiles(execute, files.map((f) => f.id));
        const [range] = await execute(sql `
      select min(effective_from)::text as start, case when bool_and(effective_to is not null) then max(effective_to)::text else 'infinity' end as end
      from rate_card_line where card_version_id = ${versionId}::bigint`);
        if (!range?.start)
            return [];
        const { start, end } = { start: range.start, end: range.end };
        const overlaps = (use) => sql.raw(`c.effective_from <= ${use}.last_ts and coalesce(c.effective_to, 'infinity') > ${use}.first_ts`);
        const rows = await execute(sql `
      with card as materialized (
        select * from (${cardLinesByPriceName(start, end)}) p where p.card_version_id = ${versionId}::bigint
      ),
      u as (
        select l.*, model_spelling(l.provider, l.response_model) as written, resolve_model(l.provider, l.response_model, l.first_ts) as model
        from (${ledgerUseByModel(start, end)}) l
      ),
      named as (
        select u.*,
               case when exists (select 1 from card c where c.provider = u.provider and c.model = u.written and c.service_tier = u.service_tier and ${overlaps('u')})
                    then u.written else u.model end as price_name
        from u
      )
      select n.provider, n.response_model, n.model, n.service_tier, n.records::text as records, n.first_ts, n.last_ts,
             n.input_records::text, n.cached_input_records::text, n.cache_write_5m_records::text, n.cache_write_1h_records::text, n.output_records::text,
             exists (select 1 from card c where c.provider = n.provider and c.model in (n.written, n.model)) as model_priced,
             array(select distinct c.token_category from card c
                   where c.provider = n.provider and c.model = n.price_name and c.service_tier = n.service_tier and ${overlaps('n')}) as categories
      from named n
      order by n.provider, n.model, n.service_tier, n.response_model`);
        return gatherNeeds(rows);
    });
}
function gatherNeeds(rows) {
    const needs = new Map();
    for (const row of rows) {
        const categories = new Set(row.categories ?? []);
        let need = null;
        let missing = [];
        if (!row.model_priced)
            need = 'model';
        else if (categories.size === 0)
            need = 'service_tier';
        else {
            missing = CATEGORY_RECORDS.filter(([category, count]) => Number(row[count]) > 0 && !categories.has(category)).map(([category, count]) => ({ token_category: category, records: Number(row[count]) }));
            if (missing.length > 0)
                need = 'token_category';
        }
        const records = need === 'token_category' ? Math.max(...missing.map((m) => m.records)) : Number(row.records);
        if (!need)
            continue;
        const key = [row.provider, row.model, row.service_tier].join('\u0000');
        const entry = needs.get(key);
        if (!entry) {
            needs.set(key, {
                provider: row.provider, model: row.model, ledger_models: [row.response_model], service_tier: row.service_tier, records,
                first_seen: row.first_ts, last_seen: row.last_ts, need, token_categories: missing,
            });
            continue;
        }
        // one canonical model written two ways: the broader need and the union of the categories
        if (!entry.ledger_models.includes(row.response_model))
            entry.ledger_models.push(row.response_model);
        entry.records += records;
        if (NEED_ORDER.indexOf(need) < NEED_ORDER.indexOf(entry.need))
            entry.need = need;
        for (const m of missing) {
            const same = entry.token_categories.find((t) => t.token_category === m.token_category);
            if (same)
                same.records += m.records;
            else
                entry.token_categories.push(m);
        }
        if (row.first_ts < entry.first_seen)
            entry.first_seen = row.first_ts;
        if (row.last_ts > entry.last_seen)
            entry.last_seen = row.last_ts;
    }
    for (const entry of needs.values())
        if (entry.need !== 'token_category')
            entry.token_categories = [];
    return [...needs.values()].sort((a, b) => b.records - a.records || a.provider.localeCompare(b.provider) || a.model.localeCompare(b.model) || a.service_tier.localeCompare(b.service_tier));
}
