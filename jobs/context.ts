import type { Config } from '../src/config.ts';
import type { Store } from '../src/db/connection.ts';
import type { Logger } from '../src/log.ts';
import type { Settings } from '../src/settings.ts';
import type { AllocationPolicy } from '../src/allocate/policy.ts';
import type { Reconcile } from '../src/run/run-period.ts';
import type { IngestOne } from './inbox.ts';
import type { WriteWorkbooks } from '../src/serve/workbook-files.ts';

/** What a job needs from the shell; tests pass stand-ins for the parts of other areas. */
export interface JobContext {
  store: Store;
  config: Pick<Config, 'inboxDir' | 'outDir'>;
  settings: Settings;
  policy: AllocationPolicy;
  log: Logger;
  ingest: IngestOne;
  writeWorkbooks: WriteWorkbooks;
  reconcile?: Reconcile;
}
