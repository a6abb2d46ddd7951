// Seeds an embedded store on disk for the CLI test, in its own process (run as
// `node --import tsx test/explain/seed-cli-store.ts <dir> <month>`): prints the run id.
import { openPglite } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { insertRateCard, rateCardLine } from '../support/builders.ts';
import { cliScenario, reconcileScenario } from './scenarios.ts';

const [dir, month] = process.argv.slice(2) as [string, string];
const store = Object.assign(await openPglite(dir), { url: undefined });
await migrate(store);
await insertRateCard(store, 'cli-v1', [rateCardLine({ effective_from: '2025-01-01T00:00:00Z' }), rateCardLine({ effective_from: '2025-01-01T00:00:00Z', service_tier: 'batch', unit_price: '1.25' })]);
const { runId } = await reconcileScenario(store, month, cliScenario(month));
await store.close();
process.stdout.write(runId + '\n');
process.exit(0);
