import { checkAccess, type RouteRef } from '../src/auth/access.js';
import type { Principal } from '../src/auth/principal.js';
import { createTokenVerifier } from '../src/auth/token-verifier.js';
import { loadConfig } from '../src/config/config.js';
import { AUTH_OFF_ENV, PRODUCTION_ENV } from '../bench/support/service.js';
import { benchAuthorization, connectionAuthorizations } from '../bench/support/tokens.js';
import type { LoadJob } from '../bench/load/client.js';

/** The bench's tokens, verified as the service verifies them, and its settings as production reads them. */
const config = loadConfig({ ...PRODUCTION_ENV, DATABASE_URL: 'postgres://localhost/bench' });
const verifier = createTokenVerifier(config.auth!);

const principalOf = (authorization: string): Promise<Principal> =>
  verifier.verify(authorization.replace(/^Bearer /, ''));

const messages = (projectId: string): RouteRef => ({
  method: 'POST',
  template: '/v1/projects/:projectId/messages',
  path: `/v1/projects/${projectId}/messages`,
  params: { projectId },
});
const mayPost = (principal: Principal, projectId: string): boolean => {
  try {
    checkAccess(principal, messages(projectId));
    return true;
  } catch {
    return false;
  }
};

async function principals(job: Pick<LoadJob, 'kind' | 'project' | 'connections'>): Promise<Principal[]> {
  return Promise.all((await connectionAuthorizations(job, PRODUCTION_ENV.AUTH_JWT_SECRET!)).map(principalOf));
}

describe('bench settings', () => {
  it('are production defaults: auth on, logs at info, with only the command rate limit lifted', () => {
    expect(config.nodeEnv).toBe('production');
    expect(config.auth).toBeDefined();
    expect(config.logLevel).toBe('info');
    expect(config.rateLimitCommands).toBe(0);
  });

  it('turn auth off in a way production accepts', () => {
    const off = loadConfig({
      ...PRODUCTION_ENV,
      ...AUTH_OFF_ENV,
      DATABASE_URL: 'postgres://localhost/bench',
    });
    expect(off.auth).toBeUndefined();
  });
});

describe('bench tokens', () => {
  it.each(['messages-many', 'messages-retry'] as const)(
    'give each connection of a write load (%s) its own subject, its project and its warm-up project only',
    async (kind) => {
      const [first, second] = await principals({ kind, project: 'p', connections: 2 });
      expect(first!.subject).not.toBe(second!.subject);
      expect(['p-0', 'p-warmup-0'].map((id) => mayPost(first!, id))).toEqual([true, true]);
      expect(['p-1', 'p-warmup-1', 'p'].map((id) => mayPost(first!, id))).toEqual([false, false, false]);
      expect(mayPost(second!, 'p-1')).toBe(true);
    },
  );

  it('give every connection of a hot load the one project', async () => {
    const all = await principals({ kind: 'messages-hot', project: 'hot', connections: 3 });
    expect(all.map((principal) => mayPost(principal, 'hot'))).toEqual([true, true, true]);
    expect(all.map((principal) => mayPost(principal, 'hot-warmup'))).toEqual([true, true, true]);
  });

  it('give a load with a project per request every project', async () => {
    const [principal] = await principals({ kind: 'messages-distinct', project: 'mem', connections: 1 });
    expect(principal!.projects).toBe('*');
  });

  it("give the bench's own requests every project and the admin routes, for hours", async () => {
    const authorization = await benchAuthorization(PRODUCTION_ENV.AUTH_JWT_SECRET!);
    const principal = await principalOf(authorization);
    expect(mayPost(principal, 'any-project')).toBe(true);
    const rebuild = {
      method: 'POST',
      template: '/v1/projections/:name/rebuild',
      path: '/v1/projections/messages/rebuild',
      params: { name: 'messages' },
    };
    expect(() => checkAccess(principal, rebuild)).not.toThrow();
    const { exp } = JSON.parse(Buffer.from(authorization.split('.')[1]!, 'base64url').toString()) as {
      exp: number;
    };
    expect(exp - Date.now() / 1000).toBeGreaterThan(5 * 3600);
  });
});
