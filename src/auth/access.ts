import { Forbidden } from './auth.errors.js';
import { type Principal } from './principal.js';

/**
 * What each route asks of a verified token, decided here for every route at once, from the route
 * itself: a controller needs no decorator to be protected, and a new route is protected as soon
 * as it exists.
 */

/** A route, as its Fastify template (`/v1/projects/:projectId/messages`) and method. */
export interface RouteRef {
  method: string;
  /** Undefined when no route matched (a 404 to come). */
  template: string | undefined;
  /** The path as requested, without its query. */
  path: string;
  params: Readonly<Record<string, unknown>>;
}

/** A scope some routes need on top of the project. `method` absent: any method. */
interface ScopedRoutes {
  template: RegExp;
  method?: string;
  scope: string;
}

const SCOPED_ROUTES: readonly ScopedRoutes[] = [
  { template: /^\/v1\/projections(\/|$)/, scope: 'conversations:admin' },
  { template: /^\/v1\/projects\/:projectId$/, method: 'DELETE', scope: 'conversations:erase' },
];

/**
 * Every `/v1` path needs a token, routes or not, so that an anonymous client learns nothing of
 * which exist. Preflights never carry credentials (the CORS protocol), so they pass.
 */
export function needsToken(route: RouteRef): boolean {
  if (route.method === 'OPTIONS') return false;
  const path = route.template ?? route.path;
  return path === '/v1' || path.startsWith('/v1/');
}

/** Throws Forbidden when the principal may not use this route. */
export function checkAccess(principal: Principal, route: RouteRef): void {
  const { projectId } = route.params;
  if (typeof projectId === 'string' && !mayUseProject(principal, projectId))
    throw new Forbidden('This token does not grant access to this project');
  for (const rule of SCOPED_ROUTES) {
    if (!applies(rule, route) || principal.scopes.has(rule.scope)) continue;
    throw new Forbidden(`This operation needs the scope ${rule.scope}`, rule.scope);
  }
}

function mayUseProject(principal: Principal, projectId: string): boolean {
  return principal.projects === '*' || principal.projects.has(projectId);
}

function applies(rule: ScopedRoutes, route: RouteRef): boolean {
  return (
    route.template !== undefined &&
    rule.template.test(route.template) &&
    (rule.method === undefined || rule.method === route.method)
  );
}
