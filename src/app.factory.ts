import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppModule } from './app.module.js';
import { useAuthentication } from './auth/authentication.js';
import { type Config } from './config/config.js';
import { useConsole } from './console/console.js';
import { CONSOLE_PATH } from './console/console-path.js';
import { createLogger, logRequests } from './logging/logging.js';
import { answerClientError } from './http/client-errors.js';
import { useJsonBodyParser } from './http/json-body.js';
import { setUpOpenApi } from './http/openapi.js';
import { Problem } from './http/problem.js';
import { requestIdOf, useRequestIds } from './http/request-id.js';
import { ProblemFilter, sendProblem } from './http/problem.filter.js';
import { noSniff, useResponsePolicies } from './http/response-policies.js';
import { RouteMethods } from './http/routes.js';
import { createValidationPipe, JsonObjectBodyPipe } from './http/validation.js';

/** How often Node looks for requests past their headers or request timeout. */
const TIMEOUT_CHECK_INTERVAL_MS = 250;

/** Knows from the first step of Nest's shutdown that the service is draining. */
class DrainAwareFastifyAdapter extends FastifyAdapter {
  draining = false;

  override beforeClose(): void {
    this.draining = true;
    super.beforeClose();
  }
}

/** `routes` learns every route registered; pass one to read the route table afterwards. */
export async function createApp(
  config: Config,
  routes = new RouteMethods(),
): Promise<NestFastifyApplication> {
  const adapter = new DrainAwareFastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    // A projectId up to this long reaches validation (a 400 naming the field); a longer one is a
    // 400 from frameworkErrors below.
    routerOptions: { maxParamLength: 1000 },
    logger: false,
    // Behind these proxies the client's address is the one they forward (limits count per address).
    trustProxy: config.trustProxy.length > 0 ? config.trustProxy : false,
    genReqId: requestIdOf,
    requestIdHeader: false,
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    http: {
      headersTimeout: config.headersTimeoutMs,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    },
    clientErrorHandler: answerClientError,
    // Requests that arrive while the service drains get a problem from the hook below instead.
    return503OnClosing: false,
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const problem =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? new Problem(
              400,
              'invalid-path-parameter',
              'A path parameter is longer than any valid identifier (a projectId is at most 100 characters, a messageId is a UUID)',
            )
          : new Problem(400, 'malformed-url', 'The URL is not validly percent-encoded');
      // Refused before any hook runs.
      noSniff(reply);
      sendProblem(problem, request, reply, { instance: false });
    },
  });
  const fastify = adapter.getInstance() as unknown as FastifyInstance;
  fastify.server.maxConnections = config.maxConnections;
  await useResponsePolicies(fastify, config);
  useRequestIds(fastify);
  logRequests(fastify);
  routes.listen(fastify);
  useJsonBodyParser(fastify);
  // Only JSON bodies: anything else is a 415 rather than a string handed to validation.
  fastify.removeContentTypeParser(['text/plain']);

  // Requests in flight when the drain begins finish, then their connections close unless another
  // request already waits on them (it gets the 503 below): left open as idle keep-alive
  // connections, they would hold the server's close until KEEP_ALIVE_TIMEOUT_MS.
  fastify.addHook('onResponse', (_request, _reply, done) => {
    if (adapter.draining) setImmediate(() => fastify.server.closeIdleConnections());
    done();
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    if (adapter.draining) {
      void reply.header('Connection', 'close');
      sendProblem(
        new Problem(503, 'shutting-down', 'This instance is shutting down; retry on another', {
          retryAfterSeconds: 1,
          logLevel: 'debug',
        }),
        request,
        reply,
      );
      return;
    }
    if (request.is404) {
      const allowed = routes.allowedAt(request.url.split('?')[0] ?? '');
      if (allowed.length > 0) {
        void reply.header('Allow', allowed.join(', '));
        sendProblem(
          new Problem(
            405,
            'method-not-allowed',
            `${request.method} is not allowed here; use ${allowed.join(', ')}`,
          ),
          request,
          reply,
        );
        return;
      }
    }
    done();
  });
  if (config.auth) useAuthentication(fastify, config.auth);
  const webConsole = config.consoleEnabled ? await useConsole(fastify) : undefined;

  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: createLogger(config),
    // The JSON parser above only: no urlencoded bodies.
    bodyParser: false,
  });
  app.useGlobalPipes(new JsonObjectBodyPipe(), createValidationPipe());
  app.useGlobalFilters(new ProblemFilter());
  setUpOpenApi(app);
  if (webConsole?.served === false)
    new Logger('Console').warn(`${CONSOLE_PATH} is not served: the console was not built (npm run build)`);
  await app.init();
  return app;
}
