import { Inject } from '@nestjs/common';
import { type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import type pg from 'pg';
import { MESSAGE_COLUMNS, type MessageRow, toMessage } from '../../../projections/index.js';
import { type Message } from '../../conversation/message.js';
import { PG_POOL } from '../../database/database.module.js';
import { ProjectedRevisions } from './projected-revisions.js';

export interface MessagePage {
  data: Message[];
  hasMore: boolean;
  /** The stream revision the read model reflects for this project; -1 when it has none. */
  revision: number;
}

export type PageCursor = { before: number } | { after: number } | Record<string, never>;

export class GetMessages extends Query<MessagePage> {
  constructor(
    readonly projectId: string,
    readonly limit: number,
    readonly cursor: PageCursor,
    readonly minRevision: number | undefined,
  ) {
    super();
  }
}

// One statement, so the page and the revision it reports come from the same snapshot.
const PAGE_SQL = {
  newest: { where: 'project_id = $1', order: 'DESC' },
  before: { where: 'project_id = $1 AND sequence < $3', order: 'DESC' },
  after: { where: 'project_id = $1 AND sequence > $3', order: 'ASC' },
};

function pageQuery(kind: keyof typeof PAGE_SQL): string {
  const { where, order } = PAGE_SQL[kind];
  return `SELECT coalesce((SELECT revision FROM rm_projects WHERE project_id = $1), -1) AS revision,
                 coalesce((SELECT json_agg(page ORDER BY page.sequence ${order})
                             FROM (SELECT ${MESSAGE_COLUMNS} FROM rm_messages
                                    WHERE ${where} ORDER BY sequence ${order} LIMIT $2) page),
                          '[]') AS rows`;
}

@QueryHandler(GetMessages)
export class GetMessagesHandler implements IQueryHandler<GetMessages> {
  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    private readonly revisions: ProjectedRevisions,
  ) {}

  async execute({ projectId, limit, cursor, minRevision }: GetMessages): Promise<MessagePage> {
    if (minRevision !== undefined) await this.revisions.waitFor(projectId, minRevision);
    const kind = 'before' in cursor ? 'before' : 'after' in cursor ? 'after' : 'newest';
    const values: unknown[] = [projectId, limit + 1];
    if ('before' in cursor) values.push(cursor.before);
    if ('after' in cursor) values.push(cursor.after);
    const { rows } = await this.pool.query<{ revision: string; rows: MessageRow[] }>({
      name: `rm_messages_${kind}`,
      text: pageQuery(kind),
      values,
    });
    const fetched = rows[0]?.rows ?? [];
    const page = fetched.slice(0, limit).map(toMessage);
    if (kind !== 'after') page.reverse();
    return { data: page, hasMore: fetched.length > limit, revision: Number(rows[0]?.revision ?? -1) };
  }
}
