import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import { QueryBus } from '@nestjs/cqrs';
import type { FastifyReply } from 'fastify';
import { sendConditional, sendConditionalJson } from '../../http/etag.js';
import { Problem } from '../../http/problem.js';
import { integerParam } from '../../http/query-params.js';
import {
  ApiConditionalRead,
  ApiMessageId,
  ApiPageLimit,
  ApiProblems,
  ApiProject,
} from '../../http/openapi.decorators.js';
import { MessageIdPipe, ProjectIdPipe } from '../../http/validation.js';
import { MessageSchema } from '../../conversation/message.schema.js';
import { MessagePageSchema } from './messages.schema.js';
import { GetMessage } from './get-message.query.js';
import { GetMessages, type PageCursor, pageJson } from './get-messages.query.js';
import { RefusesErasedProjects } from '../../erasure/erased-project.guard.js';

const MAX = Number.MAX_SAFE_INTEGER;

@ApiProject('messages')
@RefusesErasedProjects()
@Controller('v1/projects/:projectId/messages')
export class MessagesController {
  constructor(private readonly queries: QueryBus) {}

  /**
   * A page with `ETag: "<revision>"`: the read model at a revision is deterministic, so the same
   * URL at the same revision is always the same page.
   */
  @Get()
  @ApiPageLimit()
  @ApiQuery({
    name: 'before',
    required: false,
    schema: { type: 'integer', minimum: 0 },
    description: 'The newest messages with a lower sequence; not with `after`',
  })
  @ApiQuery({
    name: 'after',
    required: false,
    schema: { type: 'integer', minimum: -1 },
    description: 'The oldest messages with a higher sequence; not with `before`',
  })
  @ApiConditionalRead(MessagePageSchema, 'A page of history, in ascending sequence order')
  async list(
    @Param('projectId', ProjectIdPipe) projectId: string,
    @Query() query: Record<string, unknown>,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (query.before !== undefined && query.after !== undefined) {
      throw new Problem(400, 'invalid-parameter', 'before and after cannot be used together', {
        errors: [{ field: 'before', message: 'not allowed together with after' }],
      });
    }
    const limit = integerParam('limit', query.limit, 50, 1, 200);
    let cursor: PageCursor = {};
    if (query.before !== undefined) cursor = { before: integerParam('before', query.before, 0, 0, MAX) };
    if (query.after !== undefined) cursor = { after: integerParam('after', query.after, 0, -1, MAX) };
    // minRevision waits first; the comparison is with what is then answered.
    const page = await this.queries.execute(new GetMessages(projectId, limit, cursor, minRevisionOf(query)));
    sendConditionalJson(reply, ifNoneMatch, page.revision, pageJson(page));
  }

  /**
   * The message with `ETag: "<its revision>"`: every change to a message is an event with a
   * revision of its own, so the revision of the last one names its state. A message that does
   * not exist has no representation: 404 whatever If-None-Match says.
   */
  @Get(':messageId')
  @ApiMessageId()
  @ApiConditionalRead(MessageSchema, 'The message; its `ETag` is its own revision')
  @ApiProblems(404)
  async one(
    @Param('projectId', ProjectIdPipe) projectId: string,
    @Param('messageId', MessageIdPipe) messageId: string,
    @Query() query: Record<string, unknown>,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const message = await this.queries.execute(new GetMessage(projectId, messageId, minRevisionOf(query)));
    if (!message)
      throw new Problem(404, 'message-not-found', `No message ${messageId} in project ${projectId}`);
    sendConditional(reply, ifNoneMatch, message.revision, message);
  }
}

function minRevisionOf(query: Record<string, unknown>): number | undefined {
  return query.minRevision === undefined
    ? undefined
    : integerParam('minRevision', query.minRevision, -1, -1, MAX);
}
