import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type AuthConfig } from '../config/config.js';
import { sendProblem } from '../http/problem.filter.js';
import { checkAccess, needsToken, type RouteRef } from './access.js';
import { Unauthenticated } from './auth.errors.js';
import { setPrincipal } from './principal.js';
import { createTokenVerifier } from './token-verifier.js';

/** `Bearer` (any case), then a b64token (RFC 6750, section 2.1). */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Authentication and access for every route, in one hook that runs before the body is read:
 * a request without the right token costs no parsing, and no controller can forget it (SSE
 * streams and the event log included).
 */
export function useAuthentication(fastify: FastifyInstance, config: AuthConfig): void {
  const verifier = createTokenVerifier(config);
  fastify.addHook('onRequest', async (request, reply) => {
    const route = routeOf(request);
    if (!needsToken(route)) return;
    try {
      const principal = await verifier.verify(bearerToken(request.headers.authorization));
      checkAccess(principal, route);
      setPrincipal(request, principal);
    } catch (error) {
      sendProblem(error, request, reply);
      return reply;
    }
  });
}

function routeOf(request: FastifyRequest): RouteRef {
  return {
    method: request.method,
    template: request.routeOptions.url,
    path: request.url.split('?')[0] ?? '',
    params: request.params as Record<string, unknown>,
  };
}

function bearerToken(header: string | undefined): string {
  if (header === undefined || !/^Bearer(\s|$)/i.test(header)) throw new Unauthenticated();
  const token = BEARER.exec(header)?.[1];
  if (token === undefined) throw new Unauthenticated('The token is malformed');
  return token;
}
