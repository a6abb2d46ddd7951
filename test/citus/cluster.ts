import crypto from 'node:crypto';
import { createClusterDatabase, dropClusterDatabase } from '../../bench/lib/citus.ts';
import { openPostgres } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import type { TestStore } from '../support/db.ts';

// A fresh recon database on the Citus cluster RECON_CITUS_URL points at (`.ci/run` starts one with
// ../shared/citus/setup.sh), migrated exactly as `recon` migrates at start.

export const CITUS_URL = process.env.RECON_CITUS_URL;
export const CITUS_SKIP = CITUS_URL ? false : 'RECON_CITUS_URL is not set: start a cluster with ../shared/citus/setup.sh start and set RECON_CITUS_URL to the URL it prints (.ci/run does both)';

/** A migrated recon database on the cluster, dropped (on every node) by close(). */
export async function openCitusStore(): Promise<TestStore> {
  const name = `recon_citus_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  const url = await createClusterDatabase(CITUS_URL!, name);
  const store = await openPostgres(url);
  await migrate(store);
  const close = store.close.bind(store);
  return Object.assign(store, {
    url,
    async close() {
      await close();
      await dropClusterDatabase(CITUS_URL!, name);
    },
  });
}
