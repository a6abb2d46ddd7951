import type { IngestOne } from './inbox.ts';
import { findExport } from './optional-import.ts';

const INGEST_MODULES = ['../src/ingest/ingest-file.ts', '../src/ingest/loader.ts', '../src/ingest/load.ts', '../src/ingest/index.ts', '../src/ingest/commands.ts'].map(
  (p) => new URL(p, import.meta.url),
);

type IngestFile = (store: unknown, input: Record<string, unknown>) => Promise<unknown>;

/**
 * Ingests one inbox file through the ingest area's `ingestFile`. A file the loader reports as
 * already ingested (same bytes) counts as a duplicate, not a failure.
 */
export const ingestWithLoader: IngestOne = async (store, kind, file, log) => {
  const ingestFile = await findExport<IngestFile>(INGEST_MODULES, 'ingestFile');
  if (!ingestFile) throw new Error('ingestFile is not available yet (src/ingest has not landed); the file was left for the next run');
  const result = (await ingestFile(store, { kind, path: file, file, log })) as Record<string, unknown> | undefined;
  const duplicate = result?.duplicate === true || result?.status === 'duplicate' || result?.already_ingested === true;
  return { status: duplicate ? 'duplicate' : 'loaded', detail: result ? { ingested_file_id: result.ingested_file_id ?? result.id ?? null } : {} };
};
