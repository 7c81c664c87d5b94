import { randomUUID } from 'node:crypto';
import { type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { createTestDatabase } from './support/database.js';
import { projectId, readAllEvents, request, type JsonResponse } from './support/http.js';
import { parseResponse, parseResponses, rawExchange } from './support/raw-http.js';
import { type RunningService, startService } from './support/service.js';

const REQUEST_TIMEOUT_MS = 1_500;
const HEADERS_TIMEOUT_MS = 1_000;
const KEEP_ALIVE_TIMEOUT_MS = 1_000;
const MAX_CONNECTIONS = 40;

let service: RunningService;
let databaseUrl: string;

beforeAll(async () => {
  databaseUrl = await createTestDatabase('hardening');
  service = await startService({
    DATABASE_URL: databaseUrl,
    REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
    MAX_CONNECTIONS: String(MAX_CONNECTIONS),
  });
});
afterAll(async () => service?.stop());

const post = (path: string, body?: unknown, headers?: Record<string, string>) =>
  request(service.baseUrl, 'POST', path, body, headers);

function expectProblem(response: JsonResponse, status: number, type?: string): void {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
  if (type) expect(response.body.type).toBe(type);
}

/** A raw response must be a problem+json document with this status, and close the connection. */
function expectRawProblem(text: string, status: number): Record<string, unknown> {
  const response = parseResponse(text);
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(response.body) as Record<string, unknown>;
  expect(body).toMatchObject({
    status,
    type: expect.stringMatching(/^\/problems\//),
    title: expect.any(String),
  });
  expect(typeof body.detail).toBe('string');
  return body;
}

function head(path: string, headers: Record<string, string> = {}): string {
  return [`${path} HTTP/1.1`, 'Host: localhost', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)]
    .join('\r\n')
    .concat('\r\n\r\n');
}

describe('slow and stalled clients', () => {
  it('answers 408 and closes a connection whose body never completes', async () => {
    const exchange = await rawExchange(service.port, [
      head(`POST /v1/projects/${projectId()}/messages`, {
        'Content-Type': 'application/json',
        'Content-Length': '100',
      }),
      '{"content":',
    ]);
    expect(exchange.closed).toBe(true);
    expectRawProblem(exchange.text, 408);
    expect(exchange.elapsedMs).toBeLessThan(REQUEST_TIMEOUT_MS + 2_500);
  });

  it('closes a connection whose headers never complete', async () => {
    const exchange = await rawExchange(service.port, ['GET /health/live HTTP/1.1\r\nHost: x\r\n']);
    expect(exchange.closed).toBe(true);
    expect(exchange.elapsedMs).toBeLessThan(HEADERS_TIMEOUT_MS + 2_500);
    if (exchange.text) expectRawProblem(exchange.text, 408);
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const exchange = await rawExchange(service.port, [head('GET /health/live')], { waitMs: 10_000 });
    expect(exchange.closed).toBe(true);
    expect(parseResponse(exchange.text).status).toBe(200);
    expect(exchange.elapsedMs).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS + 2_500);
  });

  it('stays live while many stalled connections are open, and frees them', async () => {
    const stalled = Array.from({ length: MAX_CONNECTIONS - 5 }, () =>
      rawExchange(
        service.port,
        [
          head('POST /v1/projects/p/messages', {
            'Content-Type': 'application/json',
            'Content-Length': '10',
          }),
        ],
        { waitMs: 15_000 },
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    const live = await fetch(`${service.baseUrl}/health/live`);
    expect(live.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(500);
    for (const exchange of await Promise.all(stalled)) {
      expect(exchange.closed).toBe(true);
      expectRawProblem(exchange.text, 408);
    }
  });

  it('refuses connections past the cap, and accepts them again once some close', async () => {
    const sockets: Socket[] = [];
    const held = Array.from({ length: MAX_CONNECTIONS }, () =>
      rawExchange(service.port, [], { waitMs: 20_000, keepOpen: (socket) => sockets.push(socket) }),
    );
    while (sockets.length < MAX_CONNECTIONS) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const refused = await rawExchange(service.port, [head('GET /health/live')], { waitMs: 3_000 });
    expect(refused.closed).toBe(true);
    expect(refused.text).toBe('');
    sockets.forEach((socket) => socket.destroy());
    await Promise.all(held);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await fetch(`${service.baseUrl}/health/live`)).status).toBe(200);
  });
});

describe('hostile bodies', () => {
  const nested = (depth: number) => `{"content":${'['.repeat(depth)}${']'.repeat(depth)}}`;

  it('refuses deeply nested JSON with 400 before any transformation', async () => {
    const p = projectId();
    const small = await post(`/v1/projects/${p}/messages`, nested(1_300));
    expectProblem(small, 400, '/problems/too-deeply-nested');
    const huge = await post(`/v1/projects/${p}/messages`, nested(500_000));
    expectProblem(huge, 400, '/problems/too-deeply-nested');
    expect(await readAllEvents(service.baseUrl, p)).toEqual([]);
  });

  it('does not stall other requests while nested bodies arrive', async () => {
    const bodies = Array.from({ length: 8 }, () =>
      post(`/v1/projects/${projectId()}/messages`, nested(500_000)),
    );
    const started = Date.now();
    expect((await fetch(`${service.baseUrl}/health/live`)).status).toBe(200);
    const liveMs = Date.now() - started;
    for (const response of await Promise.all(bodies)) expectProblem(response, 400);
    expect(liveMs).toBeLessThan(1_000);
  });

  it('counts only structure: brackets inside strings are content', async () => {
    const content = `${'['.repeat(5_000)}{{"quoted \\" ]}`;
    const res = await post(`/v1/projects/${projectId()}/messages`, { content });
    expect(res.status).toBe(201);
    expect(res.body.content).toBe(content);
  });

  it('refuses a body that is not valid UTF-8 with 400, storing nothing', async () => {
    const p = projectId();
    const body = Buffer.concat([
      Buffer.from('{"content":"caf'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    const res = await fetch(`${service.baseUrl}/v1/projects/${p}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expectProblem(
      { status: res.status, headers: res.headers, body: await res.json() },
      400,
      '/problems/invalid-utf8',
    );
    expect(await readAllEvents(service.baseUrl, p)).toEqual([]);
  });

  it.each([['gzip'], ['br'], ['deflate'], ['x-custom']])(
    'answers 415 to a body with Content-Encoding %s',
    async (encoding) => {
      const p = projectId();
      const res = await fetch(`${service.baseUrl}/v1/projects/${p}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': encoding },
        body: gzipSync(JSON.stringify({ content: 'zipped' })),
      });
      expectProblem({ status: res.status, headers: res.headers, body: await res.json() }, 415);
      expect(await readAllEvents(service.baseUrl, p)).toEqual([]);
    },
  );

  it('accepts Content-Encoding: identity', async () => {
    const res = await post(
      `/v1/projects/${projectId()}/messages`,
      { content: 'plain' },
      { 'content-encoding': 'identity' },
    );
    expect(res.status).toBe(201);
  });
});

describe('methods and routes', () => {
  it.each([
    ['DELETE', '/v1/projects/p/messages', ['GET', 'HEAD', 'POST']],
    ['PUT', '/v1/projects/p/turns', ['POST']],
    ['POST', '/health/live', ['GET', 'HEAD']],
    ['PATCH', `/v1/projects/p/messages/${randomUUID()}`, ['GET', 'HEAD']],
    ['GET', '/v1/projections/messages/rebuild', ['POST']],
  ])('answers %s %s with 405 and Allow', async (method, path, allowed) => {
    const res = await request(service.baseUrl, method, path);
    expectProblem(res, 405, '/problems/method-not-allowed');
    expect(
      res.headers
        .get('allow')
        ?.split(',')
        .map((m) => m.trim())
        .sort(),
    ).toEqual(allowed);
  });

  it('still answers 404 for a path no route has', async () => {
    expectProblem(await request(service.baseUrl, 'DELETE', '/v1/nothing/here'), 404);
  });

  it('answers HEAD on the live stream at once, with its headers and no body', async () => {
    const res = await fetch(`${service.baseUrl}/v1/projects/${projectId()}/live`, {
      method: 'HEAD',
      signal: AbortSignal.timeout(3_000),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await res.text()).toBe('');
    const bad = await fetch(`${service.baseUrl}/v1/projects/-bad/live`, {
      method: 'HEAD',
      signal: AbortSignal.timeout(3_000),
    });
    expect(bad.status).toBe(400);
  });
});

describe('bodies that are valid but were answered wrongly', () => {
  it('reserves an assistant message from a request with no body', async () => {
    const res = await request(service.baseUrl, 'POST', `/v1/projects/${projectId()}/assistant-messages`);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ role: 'assistant', status: 'pending', content: '' });
  });

  it('reports only the type error for content of the wrong type', async () => {
    const res = await post(`/v1/projects/${projectId()}/messages`, { content: 5 });
    expectProblem(res, 400);
    expect(res.body.errors).toEqual([{ field: 'content', message: expect.stringMatching(/string/) }]);
  });

  it('refuses unknown fields in a rebuild request', async () => {
    const res = await post('/v1/projections/messages/rebuild', { force: true });
    expectProblem(res, 400);
    expect(res.body.errors).toEqual([{ field: 'force', message: expect.any(String) }]);
  });
});

describe('errors from the router and the HTTP parser are problem details', () => {
  it('answers 400 to a projectId longer than any router limit, without echoing it', async () => {
    const long = 'a'.repeat(5_000);
    const res = await post(`/v1/projects/${long}/messages`, { content: 'x' });
    expectProblem(res, 400);
    expect(JSON.stringify(res.body)).not.toContain(long.slice(0, 200));
  });

  it('answers 400 to bad percent-encoding', async () => {
    const exchange = await rawExchange(service.port, [
      head('GET /v1/projects/%E0%A4%A/messages', { Connection: 'close' }),
    ]);
    expectRawProblem(exchange.text, 400);
  });

  it('answers 431 to headers that are too large', async () => {
    const exchange = await rawExchange(service.port, [
      head('GET /health/live', { 'X-Big': 'x'.repeat(70_000) }),
    ]);
    expectRawProblem(exchange.text, 431);
    expect(exchange.closed).toBe(true);
  });

  it.each([
    [
      'Content-Length with Transfer-Encoding',
      'POST /v1/projects/p/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    [
      'two different Content-Lengths',
      'POST /v1/projects/p/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
    ],
    [
      'a bad chunk size',
      'POST /v1/projects/p/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
    ],
    ['a bare LF', 'GET /health/live HTTP/1.1\nHost: x\n\n'],
    ['a garbage request line', 'HELLO\r\n\r\n'],
  ])('answers 400 problem details to %s', async (_label, raw) => {
    const exchange = await rawExchange(service.port, [raw]);
    expectRawProblem(exchange.text, 400);
    expect(exchange.closed).toBe(true);
  });

  it('keeps every acknowledged write through all of the above', async () => {
    const p = projectId();
    const ok = await post(`/v1/projects/${p}/messages`, { content: 'kept' });
    expect(ok.status).toBe(201);
    await rawExchange(service.port, ['HELLO\r\n\r\n']);
    const events = await readAllEvents(service.baseUrl, p);
    expect(events.map((event) => event.data.content)).toEqual(['kept']);
  });
});

describe('shutdown', () => {
  it('answers requests that arrive while draining with a 503 problem and Retry-After', async () => {
    const draining = await startService({ DATABASE_URL: databaseUrl });
    const p = projectId();
    // The first request waits for a revision that never comes, holding the drain open; the second
    // comes on the same connection once the service has begun to drain.
    let second: (() => void) | undefined;
    const exchange = rawExchange(draining.port, [head(`GET /v1/projects/${p}/messages?minRevision=5`)], {
      waitMs: 15_000,
      keepOpen: (socket) => (second = () => socket.write(head('GET /health/live'))),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stopped = draining.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    second?.();
    const { text } = await exchange;
    await stopped;
    const responses = parseResponses(text);
    expect(responses).toHaveLength(2);
    const last = responses[1]!;
    expect(last.status).toBe(503);
    expect(last.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(last.headers['retry-after']).toMatch(/^\d+$/);
    expect(JSON.parse(last.body)).toMatchObject({ status: 503, type: '/problems/shutting-down' });
  });
});
