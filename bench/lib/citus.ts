import pg from 'pg';

// A recon database on a Citus cluster (../shared/citus/setup.sh): Citus keeps its node list per
// database, so the database is created on the coordinator and on every worker, gets the extension
// on each, and its coordinator is told where the workers are. Used by `npm run bench -- --citus`
// and by test/citus.

export interface ClusterNode {
  name: string;
  host: string;
  port: number;
}

export function withDatabase(url: string, database: string, port?: number): string {
  const parsed = new URL(url);
  parsed.pathname = '/' + database;
  if (port !== undefined) parsed.port = String(port);
  return parsed.toString();
}

export async function query<T extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = (await client.query<T>(text)) as pg.QueryResult<T> | pg.QueryResult<T>[];
    return (Array.isArray(result) ? result.at(-1)! : result).rows;
  } finally {
    await client.end();
  }
}

/** The coordinator of `citusUrl` first, then its workers, as the coordinator's postgres database lists them. */
export async function clusterNodes(citusUrl: string): Promise<ClusterNode[]> {
  const coordinator = new URL(citusUrl);
  const workers = await query<{ nodename: string; nodeport: number }>(citusUrl, `select nodename, nodeport from pg_dist_node where groupid <> 0 and noderole = 'primary' order by nodeport`);
  if (workers.length === 0) throw new Error(`${coordinator.host} is not a Citus coordinator with workers (pg_dist_node lists none); start one with ../shared/citus/setup.sh start`);
  return [
    { name: 'coordinator', host: coordinator.hostname, port: Number(coordinator.port || 5432) },
    ...workers.map((w, i) => ({ name: `worker ${i + 1}`, host: w.nodename, port: Number(w.nodeport) })),
  ];
}

export const nodeUrl = (citusUrl: string, node: ClusterNode, database: string) => withDatabase(citusUrl, database, node.port);

/** Creates `name` on every node with Citus set up in it; returns the coordinator URL of it. */
export async function createClusterDatabase(citusUrl: string, name: string): Promise<string> {
  const nodes = await clusterNodes(citusUrl);
  for (const node of nodes) {
    await query(nodeUrl(citusUrl, node, 'postgres'), `create database ${name}`);
    await query(nodeUrl(citusUrl, node, name), `set client_min_messages = warning; create extension if not exists citus`);
  }
  const [coordinator, ...workers] = nodes;
  const url = nodeUrl(citusUrl, coordinator!, name);
  await query(url, `select citus_set_coordinator_host('${coordinator!.host}', ${coordinator!.port})`);
  for (const worker of workers) await query(url, `select citus_add_node('${worker.host}', ${worker.port})`);
  return url;
}

export async function dropClusterDatabase(citusUrl: string, name: string): Promise<void> {
  for (const node of await clusterNodes(citusUrl)) await query(nodeUrl(citusUrl, node, 'postgres'), `drop database if exists ${name} with (force)`);
}

/** Rows read (sequential + index fetches) and written per node in `database`, from pg_stat_user_tables. */
export async function nodeCounters(citusUrl: string, nodes: ClusterNode[], database: string): Promise<{ node: string; scanned: number; written: number }[]> {
  return Promise.all(
    nodes.map(async (node) => {
      const [row] = await query<{ scanned: string; written: string }>(
        nodeUrl(citusUrl, node, database),
        // Citus hides its shards from catalog queries unless told not to (a plain setting elsewhere)
        `set citus.override_table_visibility = off; select coalesce(sum(seq_tup_read + coalesce(idx_tup_fetch, 0)), 0)::text as scanned, coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::text as written from pg_stat_user_tables`,
      );
      return { node: node.name, scanned: Number(row!.scanned), written: Number(row!.written) };
    }),
  );
}
