import fs from 'node:fs';
import path from 'node:path';
import type { Store } from '../src/db/connection.ts';
import type { Logger } from '../src/log.ts';

export type InboxKind = 'ledger' | 'invoice' | 'usage' | 'ratecard' | 'fx';

/** Inbox sub-folders and the kind of file each holds. */
export const INBOX_FOLDERS: Record<string, InboxKind> = { ledger: 'ledger', invoices: 'invoice', usage: 'usage', ratecards: 'ratecard', fx: 'fx' };

export interface IngestOutcome {
  /** loaded: new rows stored; duplicate: the same bytes were ingested before (nothing to do) */
  status: 'loaded' | 'duplicate';
  detail?: Record<string, unknown>;
}

/** Ingests one file; throws with a message the operator can act on when the file is refused. */
export type IngestOne = (store: Store, kind: InboxKind, file: string, log: Logger) => Promise<IngestOutcome>;

export interface InboxCounts {
  files_seen: number;
  files_loaded: number;
  files_duplicate: number;
  files_failed: number;
  failed: { file: string; reason: string }[];
}

// Files still being written are skipped: write elsewhere (or as .part / .tmp) and rename into the inbox.
const isCandidate = (name: string) => !name.startsWith('.') && !/\.(part|tmp|reason\.txt)$/i.test(name);

/** Moves `file` into `folder` beside it, never overwriting an earlier file of the same name. */
function moveInto(file: string, folder: string): string {
  fs.mkdirSync(folder, { recursive: true });
  let target = path.join(folder, path.basename(file));
  if (fs.existsSync(target)) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    target = path.join(folder, `${stamp}-${path.basename(file)}`);
  }
  fs.renameSync(file, target);
  return target;
}

/**
 * Ingests every new file of the inbox (ledger/, invoices/, usage/, ratecards/, fx/ in that order, files
 * by name), moving each to done/ or to failed/ with a `<name>.reason.txt` saying why.
 */
export async function ingestInbox(store: Store, inboxDir: string, ingest: IngestOne, log: Logger): Promise<InboxCounts> {
  const counts: InboxCounts = { files_seen: 0, files_loaded: 0, files_duplicate: 0, files_failed: 0, failed: [] };
  for (const [folder, kind] of Object.entries(INBOX_FOLDERS)) {
    const dir = path.join(inboxDir, folder);
    if (!fs.existsSync(dir)) continue;
    const names = fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && isCandidate(e.name))
      .map((e) => e.name)
      .sort();
    for (const name of names) {
      const file = path.join(dir, name);
      counts.files_seen += 1;
      try {
        const outcome = await ingest(store, kind, file, log);
        const moved = moveInto(file, path.join(dir, 'done'));
        if (outcome.status === 'duplicate') counts.files_duplicate += 1;
        else counts.files_loaded += 1;
        log.info('inbox file ingested', { kind, file: moved, status: outcome.status, ...outcome.detail });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        const hint = (error as { hint?: string }).hint;
        const moved = moveInto(file, path.join(dir, 'failed'));
        fs.writeFileSync(`${moved}.reason.txt`, `${reason}\n${hint ? `next: ${hint}\n` : ''}`);
        counts.files_failed += 1;
        counts.failed.push({ file: moved, reason });
        log.warn('inbox file failed', { kind, file: moved, reason });
      }
    }
  }
  return counts;
}
