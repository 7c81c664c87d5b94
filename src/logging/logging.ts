import type { IncomingMessage, ServerResponse } from 'node:http';
import { type LoggerService, RequestMethod } from '@nestjs/common';
import { Logger, type Params, PinoLogger } from 'nestjs-pino';
import { pino } from 'pino';
import pretty from 'pino-pretty';
import { type Config } from '../config/config.js';
import { requestIdOf, routeOfRaw } from '../http/request-id.js';

/**
 * pino through nestjs-pino: one JSON line per event, and per request one line when it ends
 * (method, route template, status, duration, request id). Bodies and headers are never logged:
 * the request serializer keeps the method and the path only, and the redaction below is the
 * backstop for anything that logs a request object itself (a bearer token, a cookie).
 */
export function loggerParams(config: Pick<Config, 'logLevel' | 'logFormat'>): Params {
  const options = {
    level: config.logLevel,
    // JSON lines name their level ("info"); pino-pretty reads the number pino gives by default.
    ...(config.logFormat === 'json' && { formatters: { level: (label: string) => ({ level: label }) } }),
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
      censor: '[redacted]',
    },
    genReqId: requestIdOf,
    customAttributeKeys: { reqId: 'requestId', responseTime: 'durationMs' },
    // Lines logged while a request is handled carry its id, not the whole request again.
    quietReqLogger: true,
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, path: req.url.split('?')[0] }),
      res: (res: { statusCode: number }) => ({ status: res.statusCode }),
    },
    customSuccessObject: withRoute,
    // A 5xx is logged, with its cause, by the problem filter: the request line only says it ended.
    customErrorObject: (req: IncomingMessage, res: ServerResponse, _error: Error, fields: object) =>
      withRoute(req, res, fields),
    customSuccessMessage: () => 'request completed',
    customErrorMessage: () => 'request completed',
  };
  // Written synchronously, as the console is: lines keep their order with what the service does and
  // answers, and none is lost at exit (a transport would run in a worker thread).
  const destination =
    config.logFormat === 'pretty' ? pretty({ sync: true }) : pino.destination({ sync: true });
  return {
    pinoHttp: [options, destination],
    // Every path. The module's default pattern, "{/*splat}", matches no request under this Fastify adapter.
    forRoutes: [{ path: '/{*splat}', method: RequestMethod.ALL }],
  };
}

function withRoute(req: IncomingMessage, _res: ServerResponse, fields: object): object {
  return { ...fields, route: routeOfRaw(req) };
}

/**
 * The application's logger before Nest has built its own (the same pino root): start-up lines
 * such as the embedded PostgreSQL's are JSON like the rest.
 */
export function standaloneLogger(config: Pick<Config, 'logLevel' | 'logFormat'>): LoggerService {
  const params = loggerParams(config);
  return new Logger(new PinoLogger(params), params);
}
