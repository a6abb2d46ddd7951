import fs from 'node:fs';
import { printResult, UserError, type RegisterCommands } from '../command-context.ts';
import { isPeriod, parsePeriod, periodBounds } from '../period.ts';
import { importAliases, importRateCard, type CardImportResult } from './import-card.ts';
import { priceRequest, type PricedAttempt } from './price-request.ts';
import { selectAliases, selectCardDiff, selectCardGaps, selectCardVersion, selectCardVersions, selectLedgerCardGaps } from './queries.ts';

const day = (d: Date | string | null) => (d === null ? 'open' : typeof d === 'string' ? d : d.toISOString().replace('T00:00:00.000Z', '').replace('.000Z', 'Z'));

function readInput(file: string): Buffer {
  if (!fs.existsSync(file)) throw new UserError(`file not found: ${file}`, 'check the path');
  if (fs.statSync(file).isDirectory()) throw new UserError(`${file} is a directory`, 'pass one rate card file');
  return fs.readFileSync(file);
}

export const registerPricingCommands: RegisterCommands = (program, context) => {
  const ratecard = program.command('ratecard').description('rate cards: effective-dated prices per provider, model, tier and token category');

  ratecard
    .command('import')
    .description('import a rate card file as a new card version (the same file twice changes nothing)')
    .argument('<file>', 'canonical rate card CSV, or a LiteLLM price map JSON with --format litellm')
    .option('--format <format>', 'csv (canonical) or litellm', 'csv')
    .option('--card-version <v>', 'name of the new card version (CSV: defaults to its card_version column)')
    .option('--source <text>', 'where the prices come from (recorded with the version)')
    .option('--supersedes <v_old>', 'correct or replace an earlier version: its lines overlapping the new ones are retired from the new ones\' start')
    .option('--effective-from <date>', 'LiteLLM only: when these prices took effect (YYYY-MM-DD = 00:00 UTC)')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (file: string, flags: { format: string; cardVersion?: string; source?: string; supersedes?: string; effectiveFrom?: string; json?: boolean }) => {
      if (flags.format !== 'csv' && flags.format !== 'litellm') throw new UserError(`unknown --format "${flags.format}"`, 'use --format csv or --format litellm');
      if (flags.effectiveFrom && flags.format !== 'litellm') throw new UserError('--effective-from is for --format litellm; a CSV card carries its own dates', 'drop --effective-from');
      const bytes = readInput(file);
      const store = await context.store();
      const result = await importRateCard(store.db, {
        path: file, bytes, format: flags.format, cardVersion: flags.cardVersion, source: flags.source, supersedes: flags.supersedes, effectiveFrom: flags.effectiveFrom,
      });
      context.log.event('rate card import', { file, status: result.status, card_version: result.card_version, lines: result.lines });
      printResult(Boolean(flags.json), result, () => importSummary(file, result, flags.supersedes));
    });

  ratecard
    .command('list')
    .description('card versions with their source, lines and effective range')
    .option('--json', 'print JSON on stdout')
    .action(async (flags: { json?: boolean }) => {
      const store = await context.store();
      const versions = await selectCardVersions(store.db);
      printResult(Boolean(flags.json), versions, () =>
        versions.length === 0
          ? 'no rate cards yet: recon ratecard import FILE'
          : versions
              .map((v) => `${v.card_version}\t${v.lines} lines (${v.retired_lines} retired)\t${v.models} models\t${day(v.effective_from)} .. ${v.open_ended ? 'open' : day(v.effective_to)}\t${v.source}`)
              .join('\n'),
      );
    });

  ratecard
    .command('diff')
    .description('what changed from one card version to another, by model and category')
    .argument('<version_a>', 'the older card version')
    .argument('<version_b>', 'the newer card version')
    .option('--json', 'print JSON on stdout')
    .action(async (a: string, b: string, flags: { json?: boolean }) => {
      const store = await context.store();
      const [va, vb] = await Promise.all([selectCardVersion(store.db, a), selectCardVersion(store.db, b)]);
      for (const [name, v] of [[a, va], [b, vb]] as const) {
        if (!v) throw new UserError(`no card version "${name}"`, 'see `recon ratecard list` for the versions');
      }
      const diff = await selectCardDiff(store.db, va!.id, vb!.id);
      const result = {
        version_a: a, version_b: b, unchanged: diff.unchanged,
        added: diff.rows.filter((r) => r.change === 'added').length,
        removed: diff.rows.filter((r) => r.change === 'removed').length,
        changed: diff.rows.filter((r) => r.change === 'changed').length,
        changes: diff.rows,
      };
      printResult(Boolean(flags.json), result, () =>
        [
          `${a} -> ${b}: ${result.changed} changed, ${result.added} added, ${result.removed} removed, ${result.unchanged} unchanged`,
          ...diff.rows.map(
            (r) =>
              `${r.change}\t${r.provider} / ${r.model} / ${r.service_tier} / ${r.token_category}${r.region ? ` / ${r.region}` : ''}${r.min_input_tokens !== '0' ? ` / >${r.min_input_tokens}` : ''}\t${r.old_price ?? '-'} -> ${r.new_price ?? '-'}`,
          ),
        ].join('\n'),
      );
    });

  ratecard
    .command('gaps')
    .description('times a model used in the ledger, or a card key, has no price in effect')
    .option('--period <YYYY-MM>', 'only ledger records of this month (default: all)')
    .option('--json', 'print JSON on stdout')
    .action(async (flags: { period?: string; json?: boolean }) => {
      if (flags.period && !isPeriod(flags.period)) throw new UserError(`--period must be YYYY-MM (got "${flags.period}")`, 'e.g. --period 2026-05');
      const bounds = flags.period ? periodBounds(parsePeriod(flags.period)) : undefined;
      const store = await context.store();
      const ledger = await selectLedgerCardGaps(store.db, { start: bounds?.start.toISOString() ?? null, end: bounds?.end.toISOString() ?? null });
      const card = await selectCardGaps(store.db);
      printResult(Boolean(flags.json), { ledger, card }, () => {
        const out = [
          ...ledger.map((g) => `ledger: ${g.provider} / ${g.model} / ${g.service_tier}: ${g.records} record(s) ${day(g.first_seen)} .. ${day(g.last_seen)} with no card in effect (${g.reason})`),
          ...card.map((g) => `card: ${g.provider} / ${g.model} / ${g.service_tier} / ${g.token_category}: no price from ${day(g.gap_from)} to ${day(g.gap_to)}`),
        ];
        return out.length ? out.join('\n') : 'no gaps: every ledger record has a card in effect and no card key has a hole';
      });
    });

  const alias = program.command('alias').description('model aliases: names in ledgers and invoices -> canonical model, per provider, effective-dated');

  alias
    .command('import')
    .description('import aliases from a CSV (provider, alias, model, effective_from, effective_to); they replace built-ins of the same name')
    .argument('<file>', 'alias CSV')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (file: string, flags: { json?: boolean }) => {
      const bytes = readInput(file);
      const store = await context.store();
      const result = await importAliases(store.db, { path: file, bytes });
      printResult(Boolean(flags.json), result, () =>
        result.status === 'already_imported' ? `${file} was already imported; nothing changed` : `${result.aliases} alias(es) imported (${result.replaced_builtin} built-in alias row(s) replaced)`,
      );
    });

  alias
    .command('list')
    .description('the alias map')
    .option('--provider <name>', 'only this provider (e.g. openai, aws.bedrock, azure.ai.openai)')
    .option('--source <source>', 'only aliases from this source (builtin, a file path, litellm:<version>)')
    .option('--json', 'print JSON on stdout')
    .action(async (flags: { provider?: string; source?: string; json?: boolean }) => {
      const store = await context.store();
      const rows = await selectAliases(store.db, { provider: flags.provider, source: flags.source });
      printResult(Boolean(flags.json), rows, () =>
        rows.map((r) => `${r.provider}\t${r.alias} -> ${r.model}\t${r.effective_from ? day(r.effective_from) : 'always'} .. ${day(r.effective_to)}\t${r.source}`).join('\n') || 'no aliases',
      );
    });
  program
    .command('price')
    .description('the exact cost of one request, per token category, with the card line behind each price')
    .requiredOption('--request <id>', 'the request id (its retries, which name it as their original, are shown too)')
    .option('--attempt <n>', 'only this attempt (1 = the first)')
    .option('--json', 'print JSON on stdout')
    .action(async (flags: { request: string; attempt?: string; json?: boolean }) => {
      const attempt = flags.attempt === undefined ? undefined : Number(flags.attempt);
      if (attempt !== undefined && !(Number.isInteger(attempt) && attempt >= 1)) throw new UserError(`--attempt must be a whole number from 1 (got "${flags.attempt}")`, 'e.g. --attempt 2');
      const store = await context.store();
      const attempts = await priceRequest(store.db, flags.request, attempt);
      if (attempts.length === 0) {
        throw new UserError(`no ledger record for request "${flags.request}"${attempt ? ` attempt ${attempt}` : ''}`, 'check the id (recon ingest ledger loads records); ids are case-sensitive');
      }
      printResult(Boolean(flags.json), { request_id: flags.request, attempts }, () => attempts.map(describeAttempt).join('\n\n'));
    });
};

function describeAttempt(a: PricedAttempt): string {
  const head = `${a.request_id} attempt ${a.attempt ?? 1} at ${a.ts}: ${a.provider} ${a.response_model}` +
    (a.canonical_model !== a.response_model ? ` (= ${a.canonical_model})` : '') +
    ` ${a.service_tier}${a.pricing_region ? ` in ${a.pricing_region}` : ''}, ${a.status}, team ${a.owner.team ?? '(untagged)'}`;
  const lines = a.categories.map((c) => {
    if (c.unpriced_reason) return `  ${c.category.padEnd(15)} ${c.quantity.padStart(12)}  unpriced: ${c.unpriced_reason}`;
    const unit = c.category === 'request' ? 'per request' : 'per 1M';
    const price = c.unit_price === null ? 'no per-request fee' : `${c.unit_price} ${unit}`;
    const range = c.line_id ? ` (card ${c.card_version} line ${c.line_id}, ${c.line_effective_from} .. ${c.line_effective_to ?? 'open'})` : '';
    return `  ${c.category.padEnd(15)} ${c.quantity.padStart(12)}  x ${price} = ${c.cost}${range}`;
  });
  return [head, ...lines, `  cost ${a.cost} (exact, unrounded)`].join('\n');
}

const SHOWN = 20;

/** Up to SHOWN lines, then how many more the --json output has. */
function capped(lines: string[]): string[] {
  return lines.length > SHOWN ? [...lines.slice(0, SHOWN), `  ... and ${lines.length - SHOWN} more (see --json)`] : lines;
}

/** The import's result as text: what was stored, how its models resolved, and what to look at. */
export function importSummary(file: string, result: CardImportResult, supersedes?: string): string {
  if (result.status === 'already_imported') return `${file} was already imported as card version ${result.card_version}; nothing changed`;
  const out = [
    `card version ${result.card_version}: ${result.lines} line(s) for ${result.models} model(s)` +
      (result.retired_lines ? `, ${result.retired_lines} line(s) of ${supersedes} retired` : '') +
      (result.aliases_added ? `, ${result.aliases_added} alias(es) added` : ''),
  ];
  const renamed = result.resolved.filter((r) => r.prices.some((p) => p.via !== 'as_written'));
  const asWritten = result.resolved.length - renamed.length;
  out.push(`models: ${asWritten} priced as written${renamed.length ? `, ${renamed.length} also (or only) under another name:` : ''}`);
  out.push(
    ...capped(
      renamed.map((r) => {
        const other = r.prices.filter((p) => p.via !== 'as_written');
        const names = other.map((p) => `${p.model} (${p.via === 'alias' ? 'alias' : 'provider spelling'}${p.from || p.to ? ` ${day(p.from ?? 'always')} .. ${day(p.to)}` : ''})`);
        return `  ${r.provider} / ${r.model} -> ${names.join(', ')}`;
      }),
    ),
  );
  if (result.unknown_models.length) {
    const names = result.unknown_models.map((m) => `${m.provider} / ${m.model}`);
    out.push(
      `warning: ${names.length} card model(s) match no known name (no alias, other card, ledger record, invoice line or usage row names them): ` +
        names.slice(0, 10).join(', ') + (names.length > 10 ? `, ... (${names.length - 10} more in --json)` : ''),
    );
    out.push('  if one is a pricing-page name, check its spelling or map it with recon alias import (provider,alias,model)');
  }
  if (result.ledger_needs.length) {
    const records = result.ledger_needs.reduce((n, need) => n + need.records, 0);
    out.push(`warning: the loaded ledger has ${records} record(s) in this card's range that it does not price fully:`);
    out.push(
      ...capped(
        result.ledger_needs.map((need) => {
          const what = need.need === 'model' ? 'no line for the model'
            : need.need === 'service_tier' ? `no ${need.service_tier} lines`
            : `no ${need.token_categories.map((t) => `${t.token_category} line (${t.records} record(s))`).join(', no ')}`;
          const written = need.ledger_models.filter((m) => m !== need.model);
          return `  ${need.provider} / ${need.model}${written.length ? ` (as ${written.join(', ')})` : ''} / ${need.service_tier}: ${need.records} record(s) ${day(need.first_seen)} .. ${day(need.last_seen)}: ${what}`;
        }),
      ),
    );
  }
  const skipped = Object.entries(result.skipped_providers);
  if (skipped.length) out.push(`skipped ${skipped.reduce((n, [, c]) => n + c, 0)} price-map entries of providers recon does not map (${skipped.length} providers)`);
  if (result.conflict_lines.length) {
    out.push(`${result.conflict_lines.length} price-map key(s) priced a line already priced differently; the key with the provider's route was kept, else the shorter:`);
    out.push(...capped(result.conflict_lines.map((c) => `  ${c.line}: kept ${c.kept.price} (${c.kept.key}), dropped ${c.dropped.price} (${c.dropped.key})`)));
  }
  for (const g of result.gaps) out.push(`gap: ${g.provider} / ${g.model} / ${g.service_tier} / ${g.token_category} has no price from ${day(g.gap_from)} to ${day(g.gap_to)}`);
  return out.join('\n');
}
