import type { FastifyRequest } from 'fastify';

/** Who a request acts for, from its verified bearer token. */
export interface Principal {
  /** The token's `sub`: recorded as `createdBy` and as the events' `userId`. */
  readonly subject: string;
  /** The projects the token may read and write; `'*'` for all. */
  readonly projects: '*' | ReadonlySet<string>;
  /** The token's `scope` claim, split on spaces. */
  readonly scopes: ReadonlySet<string>;
}

const principals = new WeakMap<object, Principal>();

/** Records the verified principal of a request; done once, by authentication. */
export function setPrincipal(request: FastifyRequest, principal: Principal): void {
  principals.set(request.raw, principal);
}

/** The request's verified principal, or undefined when authentication is off. */
export function principalOf(request: FastifyRequest): Principal | undefined {
  return principals.get(request.raw);
}
