import { Controller, Get, Header, Param, Query } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import { QueryBus } from '@nestjs/cqrs';
import { ApiAnswer, ApiProblems, ApiProject } from '../../http/openapi.decorators.js';
import { CONVERSATION_CACHE_CONTROL } from '../../http/cache-control.js';
import { ProjectIdPipe } from '../../http/validation.js';
import { integerParam } from '../../http/query-params.js';
import { EventLogPageSchema } from './event-log.schema.js';
import { type EventLogPage, ReadConversationEvents } from './read-conversation-events.query.js';
import { RefusesErasedProjects } from '../../erasure/erased-project.guard.js';

@ApiProject('events')
@RefusesErasedProjects()
@Controller('v1/projects/:projectId')
export class ReadConversationEventsController {
  constructor(private readonly queries: QueryBus) {}

  @Get('events')
  @ApiQuery({ name: 'fromRevision', required: false, schema: { type: 'integer', minimum: 0, default: 0 } })
  @ApiQuery({
    name: 'limit',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  })
  @ApiAnswer(200, EventLogPageSchema, 'The raw event log, read from the event store')
  @ApiProblems(400, 503)
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
