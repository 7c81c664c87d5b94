import type { JWTPayload } from 'jose';
import { createTestDatabase } from './support/database.js';
import {
  type Answer,
  bearer,
  type RouteCall,
  call as callRoute,
  projectRoutes,
} from './support/authorized-routes.js';
import { projectId, request } from './support/http.js';
import { type RunningService, startService } from './support/service.js';
import {
  keyToken,
  secretToken,
  type SigningKey,
  signingKey,
  KeySetServer,
  TEST_SECRET,
  unsignedToken,
} from './support/tokens.js';

/**
 * Authentication on, as a client meets it: every case on a read, a write, the event log and the
 * live stream, against a service that takes both an HS256 secret and a key set.
 */

const ISSUER = 'https://issuer.test/';
const AUDIENCE = 'conversation-log';
const OTHER_SECRET = 'another secret, also at least 32 bytes long';

let service: RunningService;
let keys: KeySetServer;
let rsa: SigningKey;

beforeAll(async () => {
  rsa = await signingKey('rsa-1');
  keys = new KeySetServer();
  keys.publish(rsa);
  service = await startService({
    DATABASE_URL: await createTestDatabase('auth'),
    AUTH_JWT_SECRET: TEST_SECRET,
    AUTH_JWKS_URL: await keys.start(),
    AUTH_ISSUER: ISSUER,
    AUTH_AUDIENCE: AUDIENCE,
  });
});

afterAll(async () => {
  await service?.stop();
  await keys?.stop();
});

/** What a valid token for `project` says, before a case changes it. */
function claims(project: string, extra: JWTPayload = {}): JWTPayload {
  return { sub: 'user-17', projects: [project], iss: ISSUER, aud: AUDIENCE, ...extra };
}

const routes = (): ReturnType<typeof projectRoutes> => projectRoutes(service.baseUrl);
const call = (method: string, path: string, authorization?: string, body?: unknown): Promise<Answer> =>
  callRoute(service.baseUrl, method, path, authorization, body);

type Case = [name: string, authorization: (project: string) => Promise<string | undefined>];

/** Refused with 401: the challenge names invalid_token whenever a token was sent. */
const UNAUTHENTICATED: Case[] = [
  ['no Authorization header', () => Promise.resolve(undefined)],
  ['another scheme', () => Promise.resolve('Basic dXNlcjpwYXNzd29yZA==')],
  ['a malformed token', () => Promise.resolve('Bearer not.a-jwt')],
  ['a wrong signature', async (p) => bearer(await secretToken(claims(p), {}, OTHER_SECRET))],
  ['alg none', (p) => Promise.resolve(bearer(unsignedToken(claims(p))))],
  [
    'an HS256 token signed with the public key (HS/RS confusion)',
    async (p) => bearer(await secretToken(claims(p), { kid: rsa.kid }, rsa.publicPem)),
  ],
  [
    'an expired token, beyond the leeway',
    async (p) => bearer(await secretToken(claims(p), { expiresIn: -60 })),
  ],
  ['a token not valid yet', async (p) => bearer(await secretToken(claims(p), { notBefore: 60 }))],
  ['a wrong issuer', async (p) => bearer(await secretToken(claims(p, { iss: 'https://evil.test/' })))],
  ['a wrong audience', async (p) => bearer(await secretToken(claims(p, { aud: 'another-service' })))],
  ['no sub', async (p) => bearer(await secretToken(claims(p, { sub: undefined })))],
  [
    'a key set key the set does not hold',
    async (p) => bearer(await keyToken(await signingKey('rsa-x'), claims(p))),
  ],
];

const ALLOWED: Case[] = [
  ['an HS256 token for the project', async (p) => bearer(await secretToken(claims(p)))],
  ['a key set token for the project', async (p) => bearer(await keyToken(rsa, claims(p)))],
  ['a token for every project ("*")', async (p) => bearer(await secretToken(claims(p, { projects: ['*'] })))],
  [
    'a token expired within the 30 s leeway',
    async (p) => bearer(await secretToken(claims(p), { expiresIn: -10 })),
  ],
];

describe.each(['read', 'write', 'events', 'live'] as const)('authentication on the %s route', (route) => {
  const send: RouteCall = (project, authorization) => routes()[route](project, authorization);

  it.each(UNAUTHENTICATED)('%s: 401 with a Bearer challenge', async (_name, authorization) => {
    const project = projectId('auth');
    const sent = await authorization(project);
    const answer = await send(project, sent);
    expect(answer.status).toBe(401);
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.parse(answer.text)).toMatchObject({ type: '/problems/unauthorized', status: 401 });
    const challenge = answer.headers.get('www-authenticate');
    if (sent?.startsWith('Bearer '))
      expect(challenge).toMatch(/^Bearer error="invalid_token", error_description="[^"]+"$/);
    else expect(challenge).toBe('Bearer');
    // Never echoed, not even in part.
    const token = sent?.split(' ')[1];
    if (token)
      for (const part of token.split('.').filter((p) => p.length > 8))
        expect(answer.text).not.toContain(part);
  });

  it.each(ALLOWED)('%s: allowed', async (_name, authorization) => {
    const project = projectId('auth');
    const answer = await send(project, await authorization(project));
    expect(answer.status).toBeGreaterThanOrEqual(200);
    expect(answer.status).toBeLessThan(300);
  });

  it("another project's token: 403", async () => {
    const project = projectId('auth');
    const answer = await send(project, bearer(await secretToken(claims(projectId('other')))));
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.text)).toMatchObject({ type: '/problems/forbidden', status: 403 });
  });
});

describe('authentication: what each answer says', () => {
  it('names why a token was refused, in the problem and the challenge', async () => {
    const project = projectId('auth');
    const expired = await routes().read(
      project,
      bearer(await secretToken(claims(project), { expiresIn: -60 })),
    );
    expect(JSON.parse(expired.text).detail).toBe('The token has expired');
    expect(expired.headers.get('www-authenticate')).toBe(
      'Bearer error="invalid_token", error_description="The token has expired"',
    );
  });

  it('/v1/projections needs the conversations:admin scope', async () => {
    const project = projectId('auth');
    const plain = bearer(await secretToken(claims(project, { projects: ['*'] })));
    const admin = bearer(await secretToken(claims(project, { scope: 'openid conversations:admin' })));
    for (const path of ['/v1/projections', '/v1/projections/messages']) {
      const refused = await call('GET', path, plain);
      expect(refused.status).toBe(403);
      expect(refused.headers.get('www-authenticate')).toBe(
        'Bearer error="insufficient_scope", scope="conversations:admin"',
      );
      expect((await call('GET', path, admin)).status).toBe(200);
      expect((await call('GET', path)).status).toBe(401);
    }
    expect((await call('POST', '/v1/projections/messages/rebuild', plain, {})).status).toBe(403);
  });

  it('leaves /health open, and closes unknown /v1 paths to anonymous clients', async () => {
    expect((await call('GET', '/health/live')).status).toBe(200);
    expect((await call('GET', '/health/ready')).status).toBe(200);
    expect((await call('GET', '/v1/no-such-route')).status).toBe(401);
    const token = bearer(await secretToken(claims('p')));
    expect((await call('GET', '/v1/no-such-route', token)).status).toBe(404);
  });

  it("records the subject as createdBy and as the events' userId", async () => {
    const project = projectId('auth');
    const token = bearer(await keyToken(rsa, claims(project, { sub: 'subject-42' })));
    const posted = await request(
      service.baseUrl,
      'POST',
      `/v1/projects/${project}/turns`,
      { user: { content: 'hi' } },
      {
        authorization: token,
      },
    );
    expect(posted.status).toBe(201);
    expect(posted.body.user.createdBy).toBe('subject-42');
    expect(posted.body.assistant.createdBy).toBe('subject-42');
    const reserved = await request(
      service.baseUrl,
      'POST',
      `/v1/projects/${project}/assistant-messages`,
      {},
      {
        authorization: token,
      },
    );
    expect(reserved.body.createdBy).toBe('subject-42');
    const completed = await request(
      service.baseUrl,
      'POST',
      `/v1/projects/${project}/assistant-messages/${reserved.body.id}/complete`,
      { content: 'done' },
      { authorization: bearer(await secretToken(claims(project, { sub: 'finisher' }))) },
    );
    expect(completed.status).toBe(200);
    const events = await request(service.baseUrl, 'GET', `/v1/projects/${project}/events`, undefined, {
      authorization: token,
    });
    expect(
      events.body.data.map((event: any) => [event.type, event.data.createdBy, event.metadata.userId]),
    ).toEqual([
      ['UserMessaged', 'subject-42', 'subject-42'],
      ['AssistantReserved', 'subject-42', 'subject-42'],
      ['AssistantReserved', 'subject-42', 'subject-42'],
      ['AssistantCompleted', undefined, 'finisher'],
    ]);
  });
});
