import { Inject } from '@nestjs/common';
import { type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import type pg from 'pg';
import { PG_POOL } from '../../database/database.module.js';
import { type ListingCursor } from './projects-cursor.js';

export interface ProjectSummary {
  projectId: string;
  revision: number;
  messageCount: number;
  createdAt: string | null;
  lastMessageAt: string | null;
}

export interface ProjectPage {
  data: ProjectSummary[];
  /** Where the next page starts, or null on the last page. */
  next: ListingCursor | null;
}

export class ListProjects extends Query<ProjectPage> {
  constructor(
    readonly limit: number,
    readonly cursor: ListingCursor | undefined,
    /** The projects the caller may see; undefined for all. */
    readonly allowed: readonly string[] | undefined,
  ) {
    super();
  }
}

/**
 * The list as it was at `asOf` (see project-activity.ts): the projects' current places before the
 * cursor, and past the first page the places replaced since `asOf`. Each source is read so that
 * its cost is bounded whatever plan PostgreSQL settles on for the prepared statement:
 * - all current places: newest first down the partial index on `seq`, stopping after a page;
 * - a claim's current places: one lookup per claimed project in the index on `project_id`, then
 *   sorted (walking the whole list for a few old projects would read the table);
 * - replaced places: those replaced since `asOf`, from the index on `superseded_by`, i.e. what was
 *   written while the client paged. On the first page `asOf` is the newest place: none yet.
 * Materialized, so that no plan reads them by walking `seq` instead; the replaced ones in the order
 * of their index and before the claim filters them, so that a generic plan reads that range rather
 * than every replaced place. A page therefore costs its
 * length, or the claim's, plus the writes since its first page. It asks for one row more than
 * the page, which says whether another follows.
 */
export function pageQuery({ limit, cursor, allowed }: ListProjects): pg.QueryConfig {
  // Only the placeholders a variant uses are bound: PostgreSQL cannot type one the text lacks.
  const values: unknown[] = [limit + 1];
  const bind = (value: unknown, type: string): string => `$${values.push(value)}::${type}`;
  const claim = allowed ? `AND project_id = ANY(${bind(allowed, 'text[]')})` : '';
  const asOf = cursor ? bind(cursor.asOf, 'bigint') : undefined;
  const before = cursor ? `AND seq < ${bind(cursor.after, 'bigint')}` : '';
  const sources: string[] = [];
  if (allowed)
    sources.push(`claimed AS MATERIALIZED (
      SELECT seq, project_id FROM rm_project_activity WHERE superseded_by IS NULL ${claim})`);
  if (asOf)
    sources.push(`replaced AS MATERIALIZED (
      SELECT seq, project_id FROM rm_project_activity WHERE superseded_by > ${asOf} ORDER BY superseded_by)`);
  const places = [
    allowed
      ? `(SELECT seq, project_id FROM claimed WHERE true ${before} ORDER BY seq DESC LIMIT $1)`
      : `(SELECT seq, project_id FROM rm_project_activity WHERE superseded_by IS NULL ${before}
          ORDER BY seq DESC LIMIT $1)`,
  ];
  if (asOf)
    places.push(
      `(SELECT seq, project_id FROM replaced WHERE true ${before} ${claim} ORDER BY seq DESC LIMIT $1)`,
    );
  sources.push(`places AS (${places.join(' UNION ALL ')})`);
  return {
    name: `rm_projects_list${cursor ? '_cursor' : ''}${allowed ? '_claimed' : ''}`,
    text: `
      WITH ${sources.join(', ')}
      SELECT places.seq, ${asOf ?? '(SELECT coalesce(max(seq), 0) FROM rm_project_activity)'} AS as_of,
             p.project_id, p.revision, p.message_count, p.created_at, p.last_message_at
        FROM places JOIN rm_projects p USING (project_id)
       ORDER BY places.seq DESC
       LIMIT $1`,
    values,
  };
}

interface Row {
  seq: string;
  as_of: string;
  project_id: string;
  revision: string;
  message_count: string;
  created_at: Date | null;
  last_message_at: Date | null;
}

@QueryHandler(ListProjects)
export class ListProjectsHandler implements IQueryHandler<ListProjects> {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  async execute(query: ListProjects): Promise<ProjectPage> {
    const { limit, cursor } = query;
    const { rows } = await this.pool.query<Row>(pageQuery(query));
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const next =
      rows.length > limit && last
        ? { asOf: Number(last.as_of), after: Number(last.seq), issuedAt: cursor?.issuedAt ?? Date.now() }
        : null;
    return { data: page.map(toSummary), next };
  }
}

function toSummary(row: Row): ProjectSummary {
  return {
    projectId: row.project_id,
    revision: Number(row.revision),
    messageCount: Number(row.message_count),
    createdAt: row.created_at?.toISOString() ?? null,
    lastMessageAt: row.last_message_at?.toISOString() ?? null,
  };
}
