import compress from '@fastify/compress';
import cors from '@fastify/cors';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { type Config } from '../config/config.js';

/** Bodies smaller than this are sent as they are: compressing them saves less than it costs. */
const COMPRESSION_THRESHOLD_BYTES = 1024;

/** What browser code may read of an answer, beyond the CORS-safelisted headers. */
const EXPOSED_HEADERS = ['ETag', 'Location', 'Retry-After', 'X-Request-Id'];
/** The request headers clients of the API send. */
const ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'If-Match',
  'If-None-Match',
  'Last-Event-ID',
  'X-Request-Id',
];
/** How long a browser may reuse a preflight's answer (seconds). */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * Browsers must take every answer as the type it says. Set on the raw response, so that streams
 * written past Fastify (server-sent events) carry it too.
 */
export function noSniff(reply: FastifyReply): void {
  reply.raw.setHeader('X-Content-Type-Options', 'nosniff');
}

/**
 * What every answer carries, whoever sends it: `X-Content-Type-Options: nosniff`; CORS when
 * `CORS_ORIGINS` is set; compressed JSON for clients that accept it. Call before any other
 * `onRequest` hook and before routes are registered, so that answers sent by hooks (a 405, a
 * draining 503) carry the same headers and every route is compressed.
 */
export async function useResponsePolicies(
  fastify: FastifyInstance,
  config: Pick<Config, 'corsOrigins'>,
): Promise<void> {
  fastify.addHook('onRequest', (_request, reply, done) => {
    noSniff(reply);
    done();
  });
  if (config.corsOrigins.length > 0) {
    await fastify.register(cors, {
      // A list, never one string: the plugin would send a lone origin to every caller.
      origin: config.corsOrigins,
      methods: ['GET', 'HEAD', 'POST'],
      allowedHeaders: ALLOWED_HEADERS,
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: PREFLIGHT_MAX_AGE_SECONDS,
      // Bearer tokens travel in Authorization, not in cookies.
      credentials: false,
      // An OPTIONS without Origin is answered like a preflight (204), not with a text/plain 400.
      strictPreflight: false,
    });
  }
  await fastify.register(compress, {
    encodings: ['br', 'gzip'],
    threshold: COMPRESSION_THRESHOLD_BYTES,
    // Compressed request bodies stay refused (415) by the JSON parser; nothing is inflated.
    globalDecompression: false,
  });
}
