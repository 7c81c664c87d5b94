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
 * The list as it was at `asOf` (see project-activity.ts): the projects' current rows from then,
 * and the rows replaced since, each read newest first from its own index, so a page costs its
 * length plus what was written while the client paged.
 */
const PAGE_SQL = `
  WITH as_of AS (
    SELECT coalesce($1::bigint, (SELECT max(seq) FROM rm_project_activity), 0) AS seq
  ), places AS (
    (SELECT a.seq, a.project_id FROM rm_project_activity a, as_of
      WHERE a.superseded_by IS NULL AND a.seq <= as_of.seq AND a.seq < $2
        AND ($4::text[] IS NULL OR a.project_id = ANY($4))
      ORDER BY a.seq DESC LIMIT $3)
    UNION ALL
    (SELECT a.seq, a.project_id FROM rm_project_activity a, as_of
      WHERE a.superseded_by > as_of.seq AND a.seq <= as_of.seq AND a.seq < $2
        AND ($4::text[] IS NULL OR a.project_id = ANY($4))
      ORDER BY a.seq DESC LIMIT $3)
  )
  SELECT places.seq, (SELECT seq FROM as_of) AS as_of, p.project_id, p.revision, p.message_count,
         p.created_at, p.last_message_at
    FROM places JOIN rm_projects p USING (project_id)
   ORDER BY places.seq DESC
   LIMIT $3`;

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

  async execute({ limit, cursor, allowed }: ListProjects): Promise<ProjectPage> {
    const { rows } = await this.pool.query<Row>({
      name: 'rm_projects_list',
      text: PAGE_SQL,
      values: [cursor?.asOf ?? null, cursor?.after ?? Number.MAX_SAFE_INTEGER, limit + 1, allowed ?? null],
    });
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
