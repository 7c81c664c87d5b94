import type { FastifyRequest } from 'fastify';
import { principalOf } from '../auth/principal.js';

/**
 * Whom a limit counts a request against: its token's subject when authentication is on, else the
 * client's address (the socket's, or the one a trusted proxy forwarded: see TRUST_PROXY). The
 * prefixes keep a subject that looks like an address from sharing that address's budget.
 */
export function clientKeyOf(request: FastifyRequest): string {
  const principal = principalOf(request);
  return principal ? `subject:${principal.subject}` : `address:${request.ip}`;
}
