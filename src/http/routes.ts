import type { FastifyInstance } from 'fastify';

interface RouteShape {
  pattern: RegExp;
  methods: Set<string>;
}

/**
 * The methods each route path answers, learnt as routes are registered, so that a known path
 * asked with another method is a 405 with `Allow` rather than a 404.
 */
export class RouteMethods {
  private readonly routes = new Map<string, RouteShape>();

  /** Call before any route is registered. */
  listen(fastify: FastifyInstance): void {
    fastify.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      let shape = this.routes.get(route.url);
      if (!shape) {
        shape = { pattern: patternOf(route.url), methods: new Set() };
        this.routes.set(route.url, shape);
      }
      for (const method of methods) shape.methods.add(method.toUpperCase());
    });
  }

  /** Every route registered, one entry per method, with its URL as Fastify has it (`/a/:id`). */
  registered(): { method: string; url: string }[] {
    return [...this.routes].flatMap(([url, { methods }]) => [...methods].map((method) => ({ method, url })));
  }

  /** The methods some route answers at this path (without its query), sorted; empty if none. */
  allowedAt(path: string): string[] {
    const allowed = new Set<string>();
    for (const { pattern, methods } of this.routes.values()) {
      if (pattern.test(path)) methods.forEach((method) => allowed.add(method));
    }
    return [...allowed].sort();
  }
}

/** `/v1/projects/:projectId/messages` → a pattern matching one non-empty segment per parameter. */
function patternOf(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}/?$`);
}
