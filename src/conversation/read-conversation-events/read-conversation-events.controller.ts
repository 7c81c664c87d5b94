import { Controller, Get, Header, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { CONVERSATION_CACHE_CONTROL } from '../../http/cache-control.js';
import { ProjectIdPipe } from '../../http/validation.js';
import { integerParam } from '../../http/query-params.js';
import { type EventLogPage, ReadConversationEvents } from './read-conversation-events.query.js';

@Controller('v1/projects/:projectId')
export class ReadConversationEventsController {
  constructor(private readonly queries: QueryBus) {}

  @Get('events')
  @Header('Cache-Control', CONVERSATION_CACHE_CONTROL)
  readConversationEvents(
    @Param('projectId', ProjectIdPipe) projectId: string,
    @Query('fromRevision') fromRevision: unknown,
    @Query('limit') limit: unknown,
  ): Promise<EventLogPage> {
    return this.queries.execute(
      new ReadConversationEvents(
        projectId,
        integerParam('fromRevision', fromRevision, 0, 0, Number.MAX_SAFE_INTEGER),
        integerParam('limit', limit, 100, 1, 1000),
      ),
    );
  }
}
