import crypto from 'node:crypto';
import { UserError } from "../command-context.js";
import { parseAliasCsv, parseInstant, parseRateCardCsv } from "./card-file.js";
import { parseLitellmPriceMap } from "./litellm.js";
import { selectCardResolution, selectLedgerNeeds, selectUnknownCardModels } from "./card-report.js";
import { insertAliasesKeepingExisting, insertCardLines, insertCardVersion, insertIngestedFile, replaceAliases, retireSupersededLines, selectAliasOverlaps, selectCardGaps, selectCardOverlaps, selectCardVersion, selectFileBySha, } from "./queries.js";
const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');
const iso = (d) => (d ? d.toISOString() : 'open');
function problemsError(path, problems) {
    const shown = problems.slice(0, 8).map((p) => `  line ${p.line || '-'} ${p.field}: ${p.reason}${p.value ? ` (got "${p.value}")` : ''}`);
    return new UserError(`${path}: ${problems.length} problem(s); nothing imported\n${shown.join('\n')}${problems.length > 8 ? `\n  ... and ${problems.length - 8} more` : ''}`, 'fix the file and import it again (a rate card is imported whole or not at all)');
}
/** One rate card file -> one card version, in one transaction. The same bytes twice change nothing. */
export async function importRateCard(db, request) {
    const hash = sha256(request.bytes);
    const known = await selectFileBySha(db, 'ratecard', hash);
    if (known) {
        const version = await db.selectFrom('rate_card_version').selectAll().where('ingested_file_id', '=', known.id).executeTakeFirst();
        return {
            status: 'already_imported', card_version: version?.card_version ?? '?', card_version_id: version?.id ?? '?',
            lines: 0, models: 0, retired_lines: 0, aliases_added: 0, skipped_providers: {}, conflicts: 0, conflict_lines: [], gaps: [],
            resolved: [], unknown_models: [], ledger_needs: [],
        };
    }
    const text = request.bytes.toString('utf8');
    let lines;
    let cardVersion;
    let source;
    let aliases = [];
    let skipped = {};
    let conflicts = [];
    if (request.format === 'litellm') {
        if (!request.effectiveFrom)
            throw new UserError('a LiteLLM price map has no dates: --effective-from is required', 'add --effective-from YYYY-MM-DD (the day these prices took effect, 00:00 UTC)');
        const from = parseInstant(request.effectiveFrom);
        if (!from)
            throw new UserError(`--effective-from "${request.effectiveFrom}" is not a date`, 'write it as YYYY-MM-DD or an ISO timestamp');
        let parsed;
        try {
            parsed = parseLitellmPriceMap(text, from);
        }
        catch (error) {
            throw new UserError(`${request.path} is not a LiteLLM price map: ${error.message}`, 'pass model_prices_and_context_window.json, or drop --format litellm for a CSV card');
        }
        lines = parsed.lines;
        aliases = parsed.aliases;
        skipped = parsed.skippedProviders;
        conflicts = parsed.conflicts;
        cardVersion = request.cardVersion ?? `litellm-${from.slice(0, 10)}-${hash.slice(0, 8)}`;
        source = request.source ?? `litellm price map ${request.path}`;
    }
    else {
        const parsed = parseRateCardCsv(text);
        if (parsed.problems.length > 0)
            throw problemsError(request.path, parsed.problems);
        if (parsed.lines.length === 0)
            throw new UserError(`${request.path} has no rate card lines`, 'see README.md, "Pricing", for the CSV columns');
        if (!request.cardVersion && parsed.cardVersions.length !== 1) {
            throw new UserError(`${request.path} names ${parsed.cardVersions.length === 0 ? 'no' : parsed.cardVersions.length} card versions (${parsed.cardVersions.join(', ')}); one import is one version`, 'give every row the same card_version, or pass --card-version V');
        }
        lines = parsed.lines;
        cardVersion = request.cardVersion ?? parsed.cardVersions[0];
        source = request.source ?? (parsed.sources.join('; ') || request.path);
    }
    if (lines.length === 0)
        throw new UserError(`${request.path}: no prices recon can use`, 'check the file format (--format litellm for a LiteLLM price map)');
    if (await selectCardVersion(db, cardVersion)) {
        throw new UserError(`card version "${cardVersion}" already exists`, 'choose another --card-version (versions are never overwritten; use --supersedes to correct one)');
    }
    const old = request.supersedes ? await selectCardVersion(db, request.supersedes) : undefined;
    if (request.supersedes && !old)
        throw new UserError(`--supersedes: no card version "${request.supersedes}"`, 'see `recon ratecard list` for the versions');
    const aliasSource = `litellm:${cardVersion}`;
    let imported;
    try {
        imported = await db.transaction().execute(async (trx) => {
            const fileId = await insertIngestedFile(trx, {
                kind: 'ratecard', format: request.format === 'litellm' ? 'litellm_price_map' : 'ratecard_csv', path: request.path,
                sha256: hash, bytes: request.bytes.length, rows: lines.length, rejected: 0,
            });
            const versionId = await insertCardVersion(trx, { cardVersion, source, fileId });
            const retired = old ? await retireSupersededLines(trx, { oldVersionId: old.id, newVersionId: versionId, lines }) : 0;
            await insertCardLines(trx, versionId, lines);
            const aliasesAdded = await insertAliasesKeepingExisting(trx, aliases, aliasSource);
            const gaps = await selectCardGaps(trx, { versionId });
            return {
                status: 'imported', card_version: cardVersion, card_version_id: versionId, lines: lines.length,
                models: new Set(lines.map((l) => `${l.provider}/${l.model}`)).size, retired_lines: retired,
                aliases_added: aliasesAdded, skipped_providers: skipped, conflicts: conflicts.length, conflict_lines: conflicts, gaps,
            };
        });
    }
    catch (error) {
        // The database refuses overlapping prices itself (exclusion constraint); explain which, after rollback.
        if (error.code === '23P01')
            throw await overlapError(db, lines, cardVersion);
        throw error;
    }
    // What the import understood, read back through the one resolution of names (card-report.ts).
    const versionId = imported.card_version_id;
    return {
        ...imported,
        resolved: await selectCardResolution(db, versionId),
        unknown_models: await selectUnknownCardModels(db, versionId, aliasSource),
        ledger_needs: await selectLedgerNeeds(db, versionId),
    };
}
/** Turns the database's refusal (SQLSTATE 23P01) into the keys and ranges that collide. */
async function overlapError(db, lines, cardVersion) {
    const { overlaps, total } = await selectCardOverlaps(db, lines);
    const shown = overlaps.map((o) => `  ${o.provider} / ${o.model} / ${o.service_tier} / ${o.token_category}${o.region ? ` / region ${o.region}` : ''}${o.min_input_tokens !== '0' ? ` / above ${o.min_input_tokens} input tokens` : ''}: ` +
        `new [${iso(o.new_from)}, ${iso(o.new_to)}) overlaps ${o.existing_version} [${iso(o.existing_from)}, ${iso(o.existing_to)})`);
    const versions = [...new Set(overlaps.map((o) => o.existing_version))];
    return new UserError(`card version "${cardVersion}" overlaps prices already in effect for ${total || 'some'} line(s); nothing imported\n${shown.join('\n')}`, versions.length > 0
        ? `if the new prices replace them from their start date, import again with --supersedes ${versions[0]} (the old lines stay in effect before that date)`
        : 'import again with --supersedes OLD_VERSION, or give the new lines an effective_from after the old ones end');
}
export async function importAliases(db, request) {
    const hash = sha256(request.bytes);
    if (await selectFileBySha(db, 'alias', hash))
        return { status: 'already_imported', aliases: 0, replaced_builtin: 0 };
    const parsed = parseAliasCsv(request.bytes.toString('utf8'));
    if (parsed.problems.length > 0)
        throw problemsError(request.path, parsed.problems);
    if (parsed.aliases.length === 0)
        throw new UserError(`${request.path} has no aliases`, 'columns: provider, alias, model, effective_from, effective_to');
    const overlaps = await selectAliasOverlaps(db, parsed.aliases);
    if (overlaps.length > 0) {
        const o = overlaps[0];
        throw new UserError(`alias ${o.provider} / ${o.alias} already maps to ${o.existing_model} from ${iso(o.existing_from)} to ${iso(o.existing_to)} (${o.existing_source}); nothing imported`, 'give the new alias an effective_from after the existing one ends');
    }
    return db.transaction().execute(async (trx) => {
        await insertIngestedFile(trx, { kind: 'alias', format: 'alias_csv', path: request.path, sha256: hash, bytes: request.bytes.length, rows: parsed.aliases.length, rejected: 0 });
        try {
            const { inserted, replaced } = await replaceAliases(trx, parsed.aliases, request.path);
            return { status: 'imported', aliases: inserted, replaced_builtin: replaced };
        }
        catch (error) {
            if (error.code === '23P01') {
                throw new UserError(`${request.path}: two aliases of the same name overlap in time; nothing imported`, 'make each alias\'s [effective_from, effective_to) ranges disjoint');
            }
            throw error;
        }
    });
}
