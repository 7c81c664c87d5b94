import { Controller, Get, Head, Headers, Inject, Param, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiHeader, ApiProduces, ApiQuery, ApiResponse } from '@nestjs/swagger';
import { ApiProblems, ApiProject } from '../../http/openapi.decorators.js';
import { CONVERSATION_CACHE_CONTROL } from '../../http/cache-control.js';
import { integerParam } from '../../http/query-params.js';
import { ProjectIdPipe } from '../../http/validation.js';
import { clientKeyOf } from '../../limits/client-key.js';
import { type StreamCap } from '../../limits/stream-cap.js';
import { LiveService } from './live.service.js';
import { RefusesErasedProjects } from '../../erasure/erased-project.guard.js';

const MAX = Number.MAX_SAFE_INTEGER;

/** The cap on the live streams each client holds open (LIVE_STREAMS_PER_CLIENT). */
export const LIVE_STREAM_CAP = Symbol('LIVE_STREAM_CAP');

/**
 * The reconnection time (ms) sent at the start of every stream, which an EventSource waits
 * after losing it. The client resumes with Last-Event-ID, so it misses nothing by waiting; the
 * wait keeps clients of an instance that went away from retrying in a tight loop.
 */
export const SSE_RETRY_MS = 2_000;

const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': CONVERSATION_CACHE_CONTROL,
  // Only a shutdown ends a stream from this side: its connection must then close too, or the idle
  // keep-alive connection left behind would hold the server's close open.
  connection: 'close',
  // Proxies such as nginx would otherwise hold events back in their buffers.
  'x-accel-buffering': 'no',
};

@ApiProject('live')
@RefusesErasedProjects()
@ApiProduces('text/event-stream')
@Controller('v1/projects/:projectId/live')
export class LiveController {
  constructor(
    private readonly live: LiveService,
    @Inject(LIVE_STREAM_CAP) private readonly cap: StreamCap,
  ) {}

  /**
   * The stream's headers without the stream. Declared before the GET route, which would otherwise
   * lend HEAD its never-ending handler.
   */
  @Head()
  @ApiResponse({
    status: 200,
    description: 'Extension: the headers a stream would start with, without the stream',
  })
  @ApiProblems(400)
  head(@Param('projectId', ProjectIdPipe) _projectId: string, @Res() reply: FastifyReply): void {
    void reply.status(200).headers(SSE_HEADERS).send();
  }

  /** Server-sent events of the project's message changes; see GET .../live in API.md. */
  @Get()
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'Resume after this revision (wins over `fromRevision`); -1 replays everything',
  })
  @ApiQuery({
    name: 'fromRevision',
    required: false,
    schema: { type: 'integer', minimum: -1 },
    description: 'Resume after this revision',
  })
  @ApiResponse({
    status: 200,
    description:
      'Server-sent events in revision order: `retry: 2000` first, then `id: <revision>`, `event: message.created` or `message.updated`, `data: <Message JSON>`; a `: heartbeat` comment at least every `SSE_HEARTBEAT_MS`',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiProblems(400, 429, 503)
  async stream(
    @Param('projectId', ProjectIdPipe) projectId: string,
    @Query() query: Record<string, unknown>,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    // Everything that can fail is settled before the stream starts, so it is still a problem response.
    const resume = resumePoint(lastEventId, query.fromRevision);
    const current = await this.live.currentRevision(projectId);
    // A 429 problem when the client holds its cap; the slot is given back when the stream closes.
    const release = this.cap.acquire(clientKeyOf(request));
    const response = reply.raw;
    reply.hijack();
    // The client may have left while the revision was looked up.
    if (response.destroyed || !response.socket || response.socket.destroyed) {
      release();
      return;
    }
    response.writeHead(200, SSE_HEADERS);
    response.write(`retry: ${SSE_RETRY_MS}\n: connected\n\n`);
    const unsubscribe = this.live.subscribe(projectId, resume ?? current, current, response);
    const closed = () => {
      unsubscribe();
      release();
    };
    response.once('close', closed);
    response.on('error', closed);
  }
}

/** Last-Event-ID wins over ?fromRevision; both name the last revision the client has. */
function resumePoint(lastEventId: string | undefined, fromRevision: unknown): number | undefined {
  const header = lastEventId?.trim();
  if (header) return integerParam('Last-Event-ID', header, -1, -1, MAX);
  if (fromRevision !== undefined) return integerParam('fromRevision', fromRevision, -1, -1, MAX);
  return undefined;
}
