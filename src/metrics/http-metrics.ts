import type { FastifyInstance } from 'fastify';
import { Histogram, type Registry } from 'prom-client';
import { routeTemplateOf } from '../http/request-id.js';
import { PREFIX } from './registry.js';

/**
 * Every answered request's duration, labelled by route template (never the URL: project ids would
 * make the labels unbounded) and status. A stream the client closes before it ends is not counted.
 */
export function measureRequests(fastify: FastifyInstance, registry: Registry): void {
  const duration = new Histogram({
    name: `${PREFIX}http_request_duration_seconds`,
    help: 'Duration of HTTP requests, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const labels = {
      method: request.method,
      route: routeTemplateOf(request),
      status: String(reply.statusCode),
    };
    duration.observe(labels, reply.elapsedTime / 1000);
    done();
  });
}
