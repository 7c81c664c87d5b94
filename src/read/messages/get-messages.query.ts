import { Inject } from '@nestjs/common';
import { type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import type pg from 'pg';
import { messageJsonSql } from '../../../projections/index.js';
import { type Message } from '../../conversation/message.js';
import { PG_POOL } from '../../database/database.module.js';
import { ProjectedRevisions } from './projected-revisions.js';

/**
 * A page of history as its JSON: `dataJson` is the messages' JSON array exactly as PostgreSQL
 * wrote it (see messageJsonSql), so a page is sent without being parsed and serialized again.
 */
export interface MessagePage {
  /** The JSON array of the page's messages, in ascending sequence order. */
  dataJson: string;
  hasMore: boolean;
  /** The stream revision the read model reflects for this project; -1 when it has none. */
  revision: number;
}

/** A page as its response body has it. */
export type MessagePageBody = Omit<MessagePage, 'dataJson'> & { data: Message[] };

/** The response body of a page, MessagePageBody's JSON. */
export function pageJson(page: MessagePage): string {
  return `{"data":${page.dataJson},"hasMore":${page.hasMore},"revision":${page.revision}}`;
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

// One statement, so the page and the revision it reports come from the same snapshot. A page is
// its messages' stored JSON joined (a row without it, one of a reply being streamed or of a
// generation written before it was kept, is rendered here). Whether more lie beyond the page is
// one probe of the index past the page's far edge.
const PAGE_SQL = {
  newest: { where: 'project_id = $1', order: 'DESC', beyond: '<', edge: 'min' },
  before: { where: 'project_id = $1 AND sequence < $3', order: 'DESC', beyond: '<', edge: 'min' },
  after: { where: 'project_id = $1 AND sequence > $3', order: 'ASC', beyond: '>', edge: 'max' },
};

function pageQuery(kind: keyof typeof PAGE_SQL): string {
  const { where, order, beyond, edge } = PAGE_SQL[kind];
  const json = messageJsonSql((column) => `m.${column}`);
  return `SELECT coalesce((SELECT revision FROM rm_projects WHERE project_id = $1), -1) AS revision,
                 '[' || coalesce(page.data, '') || ']' AS data,
                 EXISTS (SELECT 1 FROM rm_messages WHERE project_id = $1 AND sequence ${beyond} page.edge) AS has_more
            FROM (SELECT string_agg(coalesce(m.doc, ${json}), ',' ORDER BY m.sequence) AS data,
                         ${edge}(m.sequence) AS edge
                    FROM (SELECT * FROM rm_messages WHERE ${where} ORDER BY sequence ${order} LIMIT $2) m) page`;
}

/** Each kind's statement, written once: a page is read on every request. */
const PAGE_QUERIES = {
  newest: pageQuery('newest'),
  before: pageQuery('before'),
  after: pageQuery('after'),
};

@QueryHandler(GetMessages)
export class GetMessagesHandler implements IQueryHandler<GetMessages> {
  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    private readonly revisions: ProjectedRevisions,
  ) {}

  async execute({ projectId, limit, cursor, minRevision }: GetMessages): Promise<MessagePage> {
    if (minRevision !== undefined) await this.revisions.waitFor(projectId, minRevision);
    const kind = 'before' in cursor ? 'before' : 'after' in cursor ? 'after' : 'newest';
    const values: unknown[] = [projectId, limit];
    if ('before' in cursor) values.push(cursor.before);
    if ('after' in cursor) values.push(cursor.after);
    const { rows } = await this.pool.query<{ revision: string; has_more: boolean; data: string }>({
      name: `rm_messages_page_${kind}`,
      text: PAGE_QUERIES[kind],
      values,
    });
    const [row] = rows;
    return {
      dataJson: row?.data ?? '[]',
      hasMore: row?.has_more ?? false,
      revision: Number(row?.revision ?? -1),
    };
  }
}
