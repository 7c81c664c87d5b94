import { Inject } from '@nestjs/common';
import { type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import type pg from 'pg';
import { MESSAGE_COLUMNS, type MessageRow, toMessage } from '../../../projections/index.js';
import { type Message } from '../../conversation/message.js';
import { PG_POOL } from '../../database/database.module.js';
import { ProjectedRevisions } from './projected-revisions.js';

export class GetMessage extends Query<Message | undefined> {
  constructor(
    readonly projectId: string,
    readonly messageId: string,
    readonly minRevision: number | undefined,
  ) {
    super();
  }
}

@QueryHandler(GetMessage)
export class GetMessageHandler implements IQueryHandler<GetMessage> {
  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    private readonly revisions: ProjectedRevisions,
  ) {}

  async execute({ projectId, messageId, minRevision }: GetMessage): Promise<Message | undefined> {
    if (minRevision !== undefined) await this.revisions.waitFor(projectId, minRevision);
    const { rows } = await this.pool.query<MessageRow>({
      name: 'rm_message_by_id',
      text: `SELECT ${MESSAGE_COLUMNS} FROM rm_messages WHERE project_id = $1 AND id = $2`,
      values: [projectId, messageId],
    });
    return rows[0] ? toMessage(rows[0]) : undefined;
  }
}
