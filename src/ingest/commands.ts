import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { printResult, UserError, type CommandContext, type RegisterCommands } from '../command-context.ts';
import { ingestFile, type IngestResult } from './loader.ts';
import { countRejects, selectRejects } from './queries.ts';
import { formatsOf, type IngestKind } from './registry.ts';
import { loadSettings } from '../settings.ts';
import { CACHE_WRITES_FLAGS, type CacheWritesFlag, type ReadingCount } from './ledger-formats/litellm-prompt.ts';

const KINDS: IngestKind[] = ['ledger', 'invoice', 'usage'];

interface IngestFlags {
  format?: string;
  replace?: boolean;
  reason?: string;
  reopen?: boolean;
  mapping?: string;
  litellmCacheWrites?: string;
  json?: boolean;
}

export const registerIngestCommands: RegisterCommands = (program, context) => {
  const ingest = program
    .command('ingest')
    .description('load gateway ledgers, provider invoices / cost exports and usage reports (idempotent, one transaction per file)');
  for (const kind of KINDS) {
    const command = ingest
      .command(kind)
      .description(describeKind(kind))
      .argument('<files...>', 'files to ingest (CSV / JSON / JSON Lines, optionally gzipped)')
      .option('--format <name>', `source format; detected from the content when absent (${kind === 'ledger' ? 'canonical-csv, canonical-jsonl, litellm, otel' : 'see README.md, "Ingest"'})`)
      .option('--replace', 'replace earlier files of the same kind and provider whose days overlap (needs --reason)')
      .option('--reason <text>', 'why the earlier file is replaced (recorded)')
      .option('--reopen', 'with --replace: allow replacing data of a closed period (its closed run keeps its record; rerun the period with --reopen)')
      .option('--mapping <file>', 'SKU / meter mapping file extending the built-in mapping (invoice and usage formats)')
      .option('--json', 'print one JSON summary per file on stdout');
    if (kind === 'ledger') {
      command.option(
        '--litellm-cache-writes <mode>',
        'LiteLLM SpendLogs: whether prompt_tokens include cache writes where a row\'s numbers leave it open: auto (decided by the file\'s other rows, else included), included, excluded',
      );
    }
    command.action(async (files: string[], flags: IngestFlags) => {
      await runIngest(context, kind, files, flags);
    });
  }

  program
    .command('rejects')
    .description('list quarantined rows (file, line, field, value, reason)')
    .option('--file <path-or-id>', 'only the rows of one ingested file: its id or the path it was ingested from')
    .option('--limit <n>', 'at most this many rows', '200')
    .option('--json', 'print JSON on stdout')
    .action(async (flags: { file?: string; limit: string; json?: boolean }) => {
      await listRejects(context, flags);
    });
};

function describeKind(kind: IngestKind): string {
  if (kind === 'ledger') return 'ingest gateway ledger files (one record per provider attempt)';
  if (kind === 'invoice') return 'ingest provider invoices / cost exports';
  return 'ingest provider usage reports (tokens without money)';
}

async function runIngest(context: CommandContext, kind: IngestKind, files: string[], flags: IngestFlags) {
  if (flags.format && !formatsOf(kind).some((f) => f.name === flags.format)) {
    throw new UserError(`unknown ${kind} format "${flags.format}"`, `use one of: ${formatsOf(kind).map((f) => f.name).join(', ') || '(none registered yet)'}`);
  }
  if (flags.reopen && !flags.replace) throw new UserError('--reopen is only used with --replace', 'add --replace --reason "...", or drop --reopen');
  if (flags.litellmCacheWrites !== undefined && !(CACHE_WRITES_FLAGS as readonly string[]).includes(flags.litellmCacheWrites)) {
    throw new UserError(`unknown --litellm-cache-writes "${flags.litellmCacheWrites}"`, `use one of: ${CACHE_WRITES_FLAGS.join(', ')}`);
  }
  if (flags.reason && !flags.replace) throw new UserError('--reason is only used with --replace', 'add --replace, or drop --reason');
  if (flags.replace && !flags.reason?.trim()) throw new UserError('--replace needs --reason "..." (it is recorded with the replacement)', 'add --reason "corrected export from the provider"');
  const monthWindow = loadSettings(context.config.configFile).ingest.monthWindow;
  const store = await context.store();
  const results: IngestResult[] = [];
  for (const file of files) {
    const progress = createProgress(context, file);
    let result: IngestResult;
    try {
      result = await ingestFile(store, { kind, path: file, format: flags.format, replace: flags.replace, reason: flags.reason, reopen: flags.reopen, litellmCacheWrites: flags.litellmCacheWrites as CacheWritesFlag | undefined, mappingFile: flags.mapping, monthWindow, log: context.log, onProgress: progress.update });
    } finally {
      progress.stop();
    }
    results.push(result);
    context.log.event(result.status === 'duplicate' ? 'file already ingested' : 'file ingested', { ...result });
    if (result.status === 'loaded' && result.rows_read === 0) context.log.warn('file yielded no line', { file: result.file, format: result.format, rows_skipped: result.rows_skipped });
    if (!flags.json) process.stdout.write(summaryText(result) + '\n');
  }
  if (flags.json) printResult(true, results, () => '');
}

export function summaryText(r: IngestResult): string {
  if (r.status === 'duplicate') return `${r.file}: already ingested as file #${r.ingested_file_id}; nothing changed`;
  const days = r.first_day ? ` ${r.first_day}..${r.last_day}` : '';
  return (
    `${r.file}: ${r.kind} file #${r.ingested_file_id} (${r.format}${r.provider ? ', ' + r.provider : ''}${days}): ` +
    `read ${r.rows_read}, stored ${r.rows_stored}, duplicate ${r.rows_duplicate}, rejected ${r.rows_rejected}, untagged ${r.rows_untagged}; ` +
    `${r.seconds.toFixed(1)} s, ${r.rows_per_second} rows/s` +
    (r.replaced_file_ids.length ? `; replaced file(s) ${r.replaced_file_ids.map((id) => '#' + id).join(', ')}` : '') +
    (r.rows_skipped.count > 0 ? `\n  skipped ${r.rows_skipped.count} row(s) of other services, amount ${r.rows_skipped.amount}: ${r.rows_skipped.services.slice(0, 8).join(', ')}${r.rows_skipped.services.length > 8 ? ', …' : ''}` : '') +
    (r.rows_read === 0 ? `\n  warning: no line was read from this file; check it is the export of the provider and month you meant (see README.md, "Provider invoice and usage formats")` : '') +
    (r.reopened_periods.length ? `\n  closed period(s) ${r.reopened_periods.join(', ')} now have new inputs; their closed runs keep their record: rerun with recon run --period ${r.reopened_periods[0]} --reopen --reason "..."` : '') +
    (r.rows_rejected > 0 ? `\n  see the rejected rows with: recon rejects --file ${r.ingested_file_id}` : '') +
    r.prompt_readings.map((c) => `\n  ${readingText(c)}`).join('') +
    (r.prompt_readings.some((c) => c.basis === 'default')
      ? '\n  rows read by default could also be from a LiteLLM release that kept cache writes out of prompt_tokens (Anthropic 2025-04..09, Bedrock 2025-04..10): if so, load the export with --litellm-cache-writes excluded'
      : '')
  );
}

const READING_TEXT: Record<ReadingCount['reading'], string> = {
  writes_included: 'prompt_tokens included cache reads and writes',
  writes_excluded: 'prompt_tokens kept cache writes out (writes added to input)',
  cache_excluded: 'prompt_tokens held uncached input only (cache reads and writes added to input)',
};
const BASIS_TEXT: Record<ReadingCount['basis'], string> = {
  counts: 'their counts allow nothing else',
  text_tokens: 'their uncached text_tokens say so',
  total_tokens: 'their total_tokens count the writes',
  file: 'as the rows of the same provider the counts decided in this file',
  flag: 'as --litellm-cache-writes says',
  default: 'their counts fit both readings; LiteLLM\'s usual one taken',
};

function readingText(c: ReadingCount): string {
  return `${c.rows} row(s): ${READING_TEXT[c.reading]}, ${BASIS_TEXT[c.basis]} (line(s) ${c.lines.join(', ')}${c.rows > c.lines.length ? ', ...' : ''})`;
}

/** A bytes-read bar on a terminal; a log line every 5 seconds otherwise (cron, CI). */
function createProgress(context: CommandContext, file: string) {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: `${file} [{bar}] {percentage}% {value}/{total} bytes | {eta_formatted}`, hideCursor: true, clearOnComplete: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update: (bytes: number, total: number) => {
        if (!started) {
          bar.start(total, 0);
          started = true;
        }
        bar.update(bytes);
      },
      stop: () => started && bar.stop(),
    };
  }
  let last = Date.now();
  return {
    update: (bytes: number, total: number) => {
      const now = Date.now();
      if (now - last < 5000) return;
      last = now;
      context.log.info('ingest progress', { file, bytes_read: bytes, bytes_total: total, percent: total > 0 ? Math.round((bytes / total) * 100) : 100 });
    },
    stop: () => undefined,
  };
}

async function listRejects(context: CommandContext, flags: { file?: string; limit: string; json?: boolean }) {
  const limit = Number(flags.limit);
  if (!Number.isInteger(limit) || limit <= 0) throw new UserError(`--limit must be a positive whole number (got "${flags.limit}")`, 'e.g. --limit 1000');
  const store = await context.store();
  let filter: { id?: string; path?: string } = {};
  if (flags.file) {
    if (/^\d+$/.test(flags.file)) filter = { id: flags.file };
    else {
      const { resolve } = await import('node:path');
      filter = { path: resolve(flags.file) };
    }
    const known = await store.db
      .selectFrom('ingested_file')
      .select('id')
      .where(filter.id ? 'id' : 'path', '=', (filter.id ?? filter.path)!)
      .executeTakeFirst();
    if (!known) throw new UserError(`no ingested file ${flags.file}`, 'give the file id from the ingest summary, or the path it was ingested from');
  }
  const rows = await selectRejects(store.db, filter, limit).execute();
  const total = Number((await countRejects(store.db, filter).executeTakeFirstOrThrow()).n);
  printResult(flags.json ?? false, { total, shown: rows.length, rejects: rows }, () => {
    if (rows.length === 0) return flags.file ? `no rejected rows for ${flags.file}` : 'no rejected rows';
    const lines = rows.map((r) => `${r.file_path}:${r.line ?? '?'}  ${r.field ?? '(row)'}  ${JSON.stringify(r.value ?? '')}  ${r.reason}`);
    return lines.join('\n') + (total > rows.length ? `\n... ${total - rows.length} more (use --limit or --json)` : '') + `\n${total} rejected row(s)`;
  });
}

export type { Command };
