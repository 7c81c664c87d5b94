import { type LogLevel as NestLogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';
import { type Config, type LogLevel } from './config/config.js';
import { ProblemFilter } from './http/problem.filter.js';
import { createValidationPipe, JsonObjectBodyPipe } from './http/validation.js';

const NEST_LEVELS: NestLogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
const RANK: Record<LogLevel, number> = { fatal: 0, error: 1, warn: 2, info: 3, debug: 4, trace: 5 };

export async function createApp(config: Config): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    // A projectId longer than the contract allows is a 400 from validation, not a 414 from the router.
    routerOptions: { maxParamLength: 1000 },
    logger: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: NEST_LEVELS.slice(0, RANK[config.logLevel] + 1),
    // Fastify's own JSON parser only: no urlencoded bodies.
    bodyParser: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  // Only JSON bodies: anything else is a 415 rather than a string handed to validation.
  fastify.removeContentTypeParser(['text/plain']);
  app.useGlobalPipes(new JsonObjectBodyPipe(), createValidationPipe());
  app.useGlobalFilters(new ProblemFilter());
  await app.init();
  return app;
}
