import type { JWTPayload } from 'jose';
import { bearer, call, projectRoutes } from './support/authorized-routes.js';
import { createTestDatabase } from './support/database.js';
import { projectId } from './support/http.js';
import { type RunningService, startService } from './support/service.js';
import {
  KeySetServer,
  keyToken,
  secretToken,
  type SigningKey,
  signingKey,
  unsignedToken,
} from './support/tokens.js';

/**
 * A service that verifies with a key set only (AUTH_JWKS_URL), served by this test over HTTP:
 * only asymmetric algorithms pass, the set is cached, and a rotated key works without a restart.
 */

let service: RunningService;
let keys: KeySetServer;
let first: SigningKey;

beforeAll(async () => {
  first = await signingKey('key-1', 'RS256');
  keys = new KeySetServer();
  keys.publish(first);
  service = await startService({
    DATABASE_URL: await createTestDatabase('auth_keys'),
    AUTH_JWKS_URL: await keys.start(),
  });
});

afterAll(async () => {
  await service?.stop();
  await keys?.stop();
});

const claims = (project: string): JWTPayload => ({ sub: 'user-1', projects: [project] });

describe.each(['read', 'write', 'events', 'live'] as const)('a key set only, on the %s route', (route) => {
  const send = (project: string, authorization?: string) =>
    projectRoutes(service.baseUrl)[route](project, authorization);

  it('takes a token signed with a published key', async () => {
    const project = projectId('keys');
    const answer = await send(project, bearer(await keyToken(first, claims(project))));
    expect(answer.status).toBeGreaterThanOrEqual(200);
    expect(answer.status).toBeLessThan(300);
  });

  it.each([
    [
      'an HS256 token signed with the public key as its secret (HS/RS confusion)',
      (p: string) => secretToken(claims(p), { kid: first.kid }, first.publicPem),
    ],
    [
      'an HS256 token signed with the public JWK as its secret',
      (p: string) => secretToken(claims(p), { kid: first.kid }, JSON.stringify(first.publicJwk)),
    ],
    ['alg none', (p: string) => Promise.resolve(unsignedToken(claims(p)))],
  ])('refuses %s: 401', async (_name, token) => {
    const project = projectId('keys');
    const answer = await send(project, bearer(await token(project)));
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
  });
});

it('caches the key set: many tokens, one fetch', async () => {
  const before = keys.fetches;
  const project = projectId('keys');
  for (let i = 0; i < 10; i++) {
    // Each token differs (jti), so each is verified, not remembered.
    const token = bearer(await keyToken(first, { ...claims(project), jti: `token-${i}` }));
    expect((await call(service.baseUrl, 'GET', `/v1/projects/${project}/messages`, token)).status).toBe(200);
  }
  expect(keys.fetches - before).toBeLessThanOrEqual(1);
});

it('takes a token signed with a newly published key, without a restart', async () => {
  const project = projectId('keys');
  const read = async (key: SigningKey) =>
    (
      await call(
        service.baseUrl,
        'GET',
        `/v1/projects/${project}/messages`,
        bearer(await keyToken(key, claims(project))),
      )
    ).status;
  expect(await read(first)).toBe(200);
  const second = await signingKey('key-2', 'ES256');
  keys.publish(first, second);
  // An unknown kid refetches the set, at most once per cooldown (a few seconds).
  const deadline = Date.now() + 15_000;
  let status = await read(second);
  while (status !== 200 && Date.now() < deadline) {
    expect(status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 500));
    status = await read(second);
  }
  expect(status).toBe(200);
  expect(await read(first)).toBe(200);
}, 30_000);

it('answers 503 with Retry-After, not 401, when the key set cannot be fetched', async () => {
  const unreachable = await startService({
    DATABASE_URL: await createTestDatabase('auth_keys_down'),
    AUTH_JWKS_URL: 'http://127.0.0.1:9/jwks.json',
  });
  try {
    const project = projectId('keys');
    const answer = await call(
      unreachable.baseUrl,
      'GET',
      `/v1/projects/${project}/messages`,
      bearer(await keyToken(first, claims(project))),
    );
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('5');
    expect(JSON.parse(answer.text)).toMatchObject({ type: '/problems/auth-keys-unavailable' });
  } finally {
    await unreachable.stop();
  }
});
