import { request as httpRequest } from 'node:http';
import { createTestDatabase } from './support/database.js';
import { type JsonResponse, projectId, readAllEvents, request } from './support/http.js';
import { type RunningService, startService } from './support/service.js';
import { openSse, type SseConnection } from './support/sse.js';

const COMMANDS_PER_WINDOW = 5;
const WINDOW_MS = 1_500;
const STREAMS_PER_CLIENT = 2;

let service: RunningService;

beforeAll(async () => {
  service = await startService({
    DATABASE_URL: await createTestDatabase('limits'),
    RATE_LIMIT_COMMANDS: String(COMMANDS_PER_WINDOW),
    RATE_LIMIT_WINDOW_MS: String(WINDOW_MS),
    LIVE_STREAMS_PER_CLIENT: String(STREAMS_PER_CLIENT),
    // The tests' own connections come from 127.0.0.1: what they forward names the client.
    TRUST_PROXY: '127.0.0.1',
  });
});
afterAll(async () => service?.stop());

/** A request from a client behind the trusted proxy, at the address it forwards. */
function from(client: string, method: string, path: string, body?: unknown): Promise<JsonResponse> {
  return request(service.baseUrl, method, path, body, { 'x-forwarded-for': client });
}

/** A POST on a connection made from `localAddress` (another loopback address), with no proxy. */
function postFromAddress(localAddress: string, path: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const outgoing = httpRequest(
      {
        host: '127.0.0.1',
        port: service.port,
        localAddress,
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (response) => {
        response.resume();
        response.once('end', () => resolve(response.statusCode ?? 0));
      },
    );
    outgoing.once('error', reject);
    outgoing.end(payload);
  });
}

function expectLimited(response: JsonResponse, type: string): number {
  expect(response.status).toBe(429);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({ status: 429, type, title: 'Too Many Requests' });
  const retryAfter = response.headers.get('retry-after');
  expect(retryAfter).toMatch(/^[1-9]\d*$/);
  return Number(retryAfter);
}

describe('command rate limit', () => {
  it('answers 429 with Retry-After past the limit, appends nothing then, and recovers after the window', async () => {
    const client = '203.0.113.1';
    const p = projectId('limited');
    // Every command route shares one budget per client.
    for (let i = 0; i < COMMANDS_PER_WINDOW - 1; i++) {
      expect((await from(client, 'POST', `/v1/projects/${p}/messages`, { content: `m${i}` })).status).toBe(
        201,
      );
    }
    expect((await from(client, 'POST', `/v1/projects/${p}/turns`, { user: { content: 't' } })).status).toBe(
      201,
    );

    const limited = await from(client, 'POST', `/v1/projects/${p}/messages`, { content: 'too many' });
    const retryAfter = expectLimited(limited, '/problems/rate-limited');
    expect(retryAfter).toBeLessThanOrEqual(Math.ceil(WINDOW_MS / 1000));
    // Reads are not commands.
    expect((await from(client, 'GET', `/v1/projects/${p}/messages`)).status).toBe(200);
    expect((await from(client, 'GET', `/v1/projects/${p}/events`)).status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 100));
    expect((await from(client, 'POST', `/v1/projects/${p}/messages`, { content: 'again' })).status).toBe(201);
    const contents = (await readAllEvents(service.baseUrl, p)).map((event) => event.data.content);
    expect(contents).not.toContain('too many');
    expect(contents.at(-1)).toBe('again');
  });

  it('counts each forwarded client address on its own', async () => {
    const p = projectId('per-client');
    for (let i = 0; i < COMMANDS_PER_WINDOW; i++) {
      expect(
        (await from('203.0.113.2', 'POST', `/v1/projects/${p}/messages`, { content: `a${i}` })).status,
      ).toBe(201);
    }
    expectLimited(
      await from('203.0.113.2', 'POST', `/v1/projects/${p}/messages`, { content: 'a' }),
      '/problems/rate-limited',
    );
    expect((await from('203.0.113.3', 'POST', `/v1/projects/${p}/messages`, { content: 'b' })).status).toBe(
      201,
    );
  });

  it('counts each socket address on its own when no trusted proxy forwards one', async () => {
    const path = `/v1/projects/${projectId('sockets')}/messages`;
    const statuses: number[] = [];
    for (let i = 0; i <= COMMANDS_PER_WINDOW; i++)
      statuses.push(await postFromAddress('127.0.0.2', path, { content: `x${i}` }));
    expect(statuses).toEqual([...Array<number>(COMMANDS_PER_WINDOW).fill(201), 429]);
    expect(await postFromAddress('127.0.0.3', path, { content: 'y' })).toBe(201);
  });
});

describe('live streams per client', () => {
  const open: SseConnection[] = [];
  afterAll(() => open.forEach((connection) => connection.close()));

  const live = async (client: string, project: string) => {
    const connection = await openSse(`${service.baseUrl}/v1/projects/${project}/live`, {
      'x-forwarded-for': client,
    });
    open.push(connection);
    return connection;
  };

  it('refuses a stream past the cap with 429 before it starts, and takes one again once a stream closes', async () => {
    const client = '198.51.100.1';
    const p = projectId('cap');
    const streams = [await live(client, p), await live(client, projectId('cap'))];
    for (const stream of streams) expect(stream.response.status).toBe(200);

    const refused = await live(client, p);
    expect(refused.response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expectLimited(
      {
        status: refused.response.status,
        headers: refused.response.headers,
        body: await refused.response.json(),
      },
      '/problems/too-many-streams',
    );
    // Another client is not affected.
    expect((await live('198.51.100.2', p)).response.status).toBe(200);

    streams[0]!.close();
    // The server learns of the close asynchronously.
    const deadline = Date.now() + 5_000;
    let again = await live(client, p);
    while (again.response.status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      again = await live(client, p);
    }
    expect(again.response.status).toBe(200);
    expect((await again.next()).kind).toBe('comment');
  });
});
