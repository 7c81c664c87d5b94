import type { JWTPayload } from 'jose';
import { secretToken } from '../../test/support/tokens.js';
import type { LoadJob } from '../load/client.js';

/** Bearer tokens for the bench's requests, HS256 with the secret the service was started with. */

/** Longer than the longest default run: no token expires in the middle of one. */
const EXPIRES_IN_SEC = 6 * 60 * 60;

async function bearer(claims: JWTPayload, secret: string): Promise<string> {
  return `Bearer ${await secretToken(claims, { expiresIn: EXPIRES_IN_SEC }, secret)}`;
}

/**
 * What the bench's own requests carry (checks, probes, the paced, streamed and live clients):
 * every project, and the admin scope that /v1/projections needs.
 */
export function benchAuthorization(secret: string): Promise<string> {
  return bearer({ sub: 'bench', projects: ['*'], scope: 'conversations:admin' }, secret);
}

/**
 * The projects connection `client` of a load uses: its own and the one it warms up on (see
 * runLoad), or all (`*`) where every request has a project of its own or the list is read.
 */
export function connectionProjects(job: Pick<LoadJob, 'kind' | 'project'>, client: number): string[] {
  switch (job.kind) {
    case 'messages-many':
    case 'messages-retry':
    case 'turns':
      return [`${job.project}-${client}`, `${job.project}-warmup-${client}`];
    case 'messages-hot':
      return [job.project, `${job.project}-warmup`];
    case 'history':
      return [job.project];
    case 'messages-distinct':
    case 'paths':
      return ['*'];
    case 'raw-insert':
      // The baseline server reads no token.
      return [];
  }
}

/** One token per connection of the load, as distinct clients would hold: a subject and projects each. */
export function connectionAuthorizations(
  job: Pick<LoadJob, 'kind' | 'project' | 'connections'>,
  secret: string,
): Promise<string[]> {
  return Promise.all(
    Array.from({ length: job.connections }, (_, client) =>
      bearer({ sub: `bench-client-${client}`, projects: connectionProjects(job, client) }, secret),
    ),
  );
}
