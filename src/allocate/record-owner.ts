import { sql, type RawBuilder } from 'kysely';

/**
 * Who owns a ledger record, in one place: the team tagged on the record, else the team the
 * gateway key map names for its key; neither: untagged (the allocation policy's `untagged` rule
 * then decides, the platform bucket by default). The cost center is the record's, else its
 * team's in the owners table. The run's cost cube (insertCostCubeAndGatewayEstimates) stores
 * these as team / cost_center / owner_source; `recon price --request` and the request trace
 * resolve one record with the same fragments.
 *
 * `tagTeam` is the record's team, `keyTeam` the key map's team for its key (joined only when the
 * record has no team), `tagCostCenter` the record's cost center, `teamCostCenter` the owners
 * table's for the resolved team.
 */
export const OWNER_SOURCES = { tag: 'tag', key: 'key' } as const;
export type OwnerSource = (typeof OWNER_SOURCES)[keyof typeof OWNER_SOURCES];

export function ownerTeamSql(tagTeam: RawBuilder<unknown>, keyTeam: RawBuilder<unknown>): RawBuilder<string | null> {
  return sql<string | null>`coalesce(${tagTeam}, ${keyTeam})`;
}

export function ownerSourceSql(tagTeam: RawBuilder<unknown>, keyTeam: RawBuilder<unknown>): RawBuilder<OwnerSource | null> {
  return sql<OwnerSource | null>`case when ${tagTeam} is not null then ${sql.lit(OWNER_SOURCES.tag)} when ${keyTeam} is not null then ${sql.lit(OWNER_SOURCES.key)} end`;
}

export function ownerCostCenterSql(tagCostCenter: RawBuilder<unknown>, teamCostCenter: RawBuilder<unknown>): RawBuilder<string | null> {
  return sql<string | null>`coalesce(${tagCostCenter}, ${teamCostCenter})`;
}

/** The key map row of a record `record` (aliased `alias`): joined only when the record carries no team. */
export function keyOwnerJoinSql(record: string, alias: string): RawBuilder<unknown> {
  return sql`left join gateway_key_owner ${sql.ref(alias)} on ${sql.ref(`${record}.team`)} is null and ${sql.ref(`${alias}.gateway_key_id`)} = ${sql.ref(`${record}.gateway_key_id`)}`;
}

/** The owners table's row `alias` for the resolved team `team`. */
export function teamOwnerJoinSql(alias: string, team: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`left join team_owner ${sql.ref(alias)} on ${sql.ref(`${alias}.team`)} = ${team}`;
}

/** The key map's team for the key of record `record`, as a scalar (for a condition over the record). */
export function keyTeamOfRecordSql(record: string): RawBuilder<string | null> {
  return sql<string | null>`(select k.team from gateway_key_owner k where k.gateway_key_id = ${sql.ref(`${record}.gateway_key_id`)})`;
}
