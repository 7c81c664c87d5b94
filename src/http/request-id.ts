import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { uuidv7 } from '../conversation/ids.js';

const HEADER = 'x-request-id';
const WELL_FORMED = /^[A-Za-z0-9._-]{1,128}$/;
/** The route label of requests no route matched: one value, whatever URL was asked for. */
export const UNMATCHED_ROUTE = 'unmatched';

const ids = new WeakMap<IncomingMessage, string>();

/**
 * The request's id (Fastify's `genReqId`, and the request logger's): the client's `X-Request-Id`
 * when well-formed, so that its logs and ours name the request alike; otherwise a new one, since
 * a malformed value could forge log lines or grow without bound. Decided once per request.
 */
export function requestIdOf(raw: IncomingMessage): string {
  let id = ids.get(raw);
  if (id === undefined) {
    const given = raw.headers[HEADER];
    id = typeof given === 'string' && WELL_FORMED.test(given) ? given : uuidv7();
    ids.set(raw, id);
  }
  return id;
}

/** The route's template (`/v1/projects/:projectId/messages`), never the URL: ids would make labels unbounded. */
export function routeTemplateOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? UNMATCHED_ROUTE;
}

/**
 * Runs first: every answer carries the id, also problems, 404s and streams written to the raw
 * response, and whatever reads the header (the events' correlation id) reads the id that was
 * answered, never a malformed one.
 */
export function useRequestIds(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.raw.setHeader('X-Request-Id', request.id);
    request.raw.headers[HEADER] = request.id;
    done();
  });
}
