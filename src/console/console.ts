import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { CONSOLE_PATH } from './console-path.js';

/** `dist/console`, beside `dist/src` where this module runs from. */
const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));

/**
 * The console's code and styles come from this origin only and nothing runs inline, so an injected
 * message cannot run script in an operator's browser, whose token reaches every project.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Asset names carry a hash of their content: a new build is a new name, so an old one never changes. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

export interface ConsoleSetup {
  /** False when `dist/console` is missing (the console was not built): nothing is served then. */
  served: boolean;
}

/**
 * Serves the built console at `/console/` as static files, outside `/v1` (no token needed to load
 * it: it asks for one when the API answers 401). Its routes are not API and stay out of the
 * OpenAPI document.
 */
export async function useConsole(fastify: FastifyInstance): Promise<ConsoleSetup> {
  if (!existsSync(`${CONSOLE_DIR}index.html`)) return { served: false };
  await fastify.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply) => {
      void reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
      void reply.header('X-Frame-Options', 'DENY');
      void reply.header('Referrer-Policy', 'no-referrer');
    });
    scope.get(CONSOLE_PATH, (_request, reply) => reply.redirect(`${CONSOLE_PATH}/`, 301));
    await scope.register(fastifyStatic, {
      root: CONSOLE_DIR,
      prefix: `${CONSOLE_PATH}/`,
      decorateReply: false,
      cacheControl: false,
      setHeaders: (reply, path) =>
        void reply.header('Cache-Control', path.includes('/assets/') ? IMMUTABLE : 'no-cache'),
    });
  });
  return { served: true };
}
