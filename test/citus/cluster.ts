import crypto from 'node:crypto';
import pg from 'pg';
import { openPostgres } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import type { TestStore } from '../support/db.ts';

// A fresh recon database on the Citus cluster RECON_CITUS_URL points at (`.ci/run` starts one with
// ../shared/citus/setup.sh): Citus keeps its node list per database, so a new database is created
// on the coordinator and on every worker, gets the extension on each, and its coordinator is told
// where the workers are. Then recon migrates it exactly as `recon` does at start.

export const CITUS_URL = process.env.RECON_CITUS_URL;
export const CITUS_SKIP = CITUS_URL ? false : 'RECON_CITUS_URL is not set: start a cluster with ../shared/citus/setup.sh start and set RECON_CITUS_URL to the URL it prints (.ci/run does both)';

function withDatabase(url: string, database: string, port?: number): string {
  const parsed = new URL(url);
  parsed.pathname = '/' + database;
  if (port !== undefined) parsed.port = String(port);
  return parsed.toString();
}

async function query<T extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

interface Node {
  host: string;
  port: number;
  coordinator: boolean;
}

async function clusterNodes(): Promise<Node[]> {
  const coordinator = new URL(CITUS_URL!);
  const workers = await query<{ nodename: string; nodeport: number }>(CITUS_URL!, `select nodename, nodeport from pg_dist_node where groupid <> 0 and noderole = 'primary' order by nodeport`);
  return [
    { host: coordinator.hostname, port: Number(coordinator.port || 5432), coordinator: true },
    ...workers.map((w) => ({ host: w.nodename, port: Number(w.nodeport), coordinator: false })),
  ];
}

const nodeUrl = (node: Node, database: string) => withDatabase(CITUS_URL!, database, node.port);

/** Creates a database on every node of the cluster, with Citus set up in it. */
export async function createClusterDatabase(name: string): Promise<string> {
  const nodes = await clusterNodes();
  for (const node of nodes) {
    await query(nodeUrl(node, 'postgres'), `create database ${name}`);
    await query(nodeUrl(node, name), `set client_min_messages = warning; create extension if not exists citus`);
  }
  const coordinator = nodes[0]!;
  await query(nodeUrl(coordinator, name), `select citus_set_coordinator_host('${coordinator.host}', ${coordinator.port})`);
  for (const worker of nodes.slice(1)) await query(nodeUrl(coordinator, name), `select citus_add_node('${worker.host}', ${worker.port})`);
  return nodeUrl(coordinator, name);
}

export async function dropClusterDatabase(name: string): Promise<void> {
  for (const node of await clusterNodes()) await query(nodeUrl(node, 'postgres'), `drop database if exists ${name} with (force)`);
}

/** A migrated recon database on the cluster, dropped (on every node) by close(). */
export async function openCitusStore(): Promise<TestStore> {
  const name = `recon_citus_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  const url = await createClusterDatabase(name);
  const store = await openPostgres(url);
  await migrate(store);
  const close = store.close.bind(store);
  return Object.assign(store, {
    url,
    async close() {
      await close();
      await dropClusterDatabase(name);
    },
  });
}
