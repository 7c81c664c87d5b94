import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { createTestDatabase } from './support/database.js';
import { projectId, request } from './support/http.js';
import { parseResponse, rawExchange } from './support/raw-http.js';
import { type RunningService, startService } from './support/service.js';
import { openSse } from './support/sse.js';

const ALLOWED_ORIGIN = 'https://editor.example.com';

let plain: RunningService;
let withCors: RunningService;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('headers');
  [plain, withCors] = await Promise.all([
    startService({ DATABASE_URL: databaseUrl }),
    startService({ DATABASE_URL: databaseUrl, CORS_ORIGINS: `${ALLOWED_ORIGIN},http://localhost:5173` }),
  ]);
});
afterAll(async () => Promise.all([plain?.stop(), withCors?.stop()]));

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A GET whose body arrives exactly as sent (fetch would decode it). */
function rawGet(
  service: RunningService,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: '127.0.0.1', port: service.port, path, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
      );
    });
    outgoing.once('error', reject);
    outgoing.end();
  });
}

/** A project with a history page far over 1 KiB, at revision 11. */
async function bigProject(service: RunningService): Promise<string> {
  const p = projectId('big');
  for (let i = 0; i < 12; i++) {
    const created = await request(service.baseUrl, 'POST', `/v1/projects/${p}/messages`, {
      content: `message ${i} `.repeat(60),
    });
    expect(created.status).toBe(201);
  }
  return p;
}

describe('CORS', () => {
  const preflight = (service: RunningService, origin: string) =>
    fetch(`${service.baseUrl}/v1/projects/${projectId()}/messages`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, if-match, x-request-id',
      },
    });

  it('answers a preflight from an allowed origin', async () => {
    const response = await preflight(withCors, ALLOWED_ORIGIN);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(response.headers.get('access-control-allow-methods')).toMatch(/\bPOST\b/);
    const allowed = response.headers
      .get('access-control-allow-headers')
      ?.toLowerCase()
      .split(/\s*,\s*/);
    expect(allowed).toEqual(
      expect.arrayContaining([
        'authorization',
        'content-type',
        'if-match',
        'if-none-match',
        'last-event-id',
        'x-request-id',
      ]),
    );
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('gives a disallowed origin no Access-Control-Allow-Origin', async () => {
    const response = await preflight(withCors, 'https://elsewhere.example.com');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const actual = await request(withCors.baseUrl, 'GET', `/v1/projects/${projectId()}/messages`, undefined, {
      origin: 'https://elsewhere.example.com',
    });
    expect(actual.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets browser code read the headers the API returns, on answers and on problems', async () => {
    const p = projectId();
    const created = await request(
      withCors.baseUrl,
      'POST',
      `/v1/projects/${p}/messages`,
      { content: 'hi' },
      {
        origin: ALLOWED_ORIGIN,
      },
    );
    expect(created.status).toBe(201);
    const problem = await request(withCors.baseUrl, 'GET', `/v1/projects/${p}/messages?limit=0`, undefined, {
      origin: ALLOWED_ORIGIN,
    });
    expect(problem.status).toBe(400);
    for (const response of [created, problem]) {
      expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
      const exposed = response.headers
        .get('access-control-expose-headers')
        ?.toLowerCase()
        .split(/\s*,\s*/);
      expect(exposed).toEqual(expect.arrayContaining(['etag', 'location', 'retry-after', 'x-request-id']));
    }
  });

  it('sends no CORS headers at all when CORS_ORIGINS is not set; a preflight is a 405 with Allow', async () => {
    const response = await preflight(plain, ALLOWED_ORIGIN);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD, POST');
    const actual = await request(plain.baseUrl, 'GET', `/v1/projects/${projectId()}/messages`, undefined, {
      origin: ALLOWED_ORIGIN,
    });
    for (const headers of [response.headers, actual.headers]) {
      expect([...headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    }
  });
});

describe('X-Content-Type-Options: nosniff', () => {
  it.each([
    ['a 200', '/health/live', 200],
    ['a list', `/v1/projects/${projectId()}/messages`, 200],
    ['a validation problem', '/v1/projects/not%20valid/messages', 400],
    ['a 404', '/no/such/route', 404],
    ['a malformed URL', '/v1/projects/%zz/messages', 400],
  ])('is on %s', async (_label, path, status) => {
    const response = await rawGet(plain, path);
    expect(response.status).toBe(status);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('is on a 405', async () => {
    const response = await request(plain.baseUrl, 'PUT', `/v1/projects/${projectId()}/messages`, {});
    expect(response.status).toBe(405);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('is on what the HTTP parser refuses', async () => {
    const exchange = await rawExchange(plain.port, ['HELLO\r\n\r\n']);
    expect(parseResponse(exchange.text).headers['x-content-type-options']).toBe('nosniff');
  });

  it('is on a live stream', async () => {
    const stream = await openSse(`${plain.baseUrl}/v1/projects/${projectId()}/live`);
    try {
      expect(stream.response.status).toBe(200);
      expect(stream.response.headers.get('x-content-type-options')).toBe('nosniff');
    } finally {
      stream.close();
    }
  });
});

describe('Cache-Control on conversation data', () => {
  it('is private, no-cache on history, a message, the events, a 304 and a live stream', async () => {
    const p = projectId();
    const created = await request(plain.baseUrl, 'POST', `/v1/projects/${p}/messages`, { content: 'hi' });
    const paths = [
      `/v1/projects/${p}/messages?minRevision=0`,
      `/v1/projects/${p}/messages/${created.body.id}`,
    ];
    for (const path of [...paths, `/v1/projects/${p}/events`]) {
      const response = await request(plain.baseUrl, 'GET', path);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('private, no-cache');
    }
    for (const path of paths) {
      const revalidated = await request(plain.baseUrl, 'GET', path, undefined, { 'if-none-match': '"0"' });
      expect(revalidated.status).toBe(304);
      expect(revalidated.headers.get('cache-control')).toBe('private, no-cache');
    }
    const stream = await openSse(`${plain.baseUrl}/v1/projects/${p}/live`);
    stream.close();
    expect(stream.response.headers.get('cache-control')).toBe('private, no-cache');
  });
});

describe('compression', () => {
  it.each([
    ['gzip', gunzipSync],
    ['br', brotliDecompressSync],
  ])('sends a large history page %s-encoded, decoding to the same JSON', async (encoding, decode) => {
    const p = await bigProject(plain);
    const path = `/v1/projects/${p}/messages?minRevision=11`;
    const identity = await rawGet(plain, path);
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(identity.body.length).toBeGreaterThan(5 * 1024);

    const compressed = await rawGet(plain, path, { 'accept-encoding': encoding });
    expect(compressed.status).toBe(200);
    expect(compressed.headers['content-encoding']).toBe(encoding);
    expect(compressed.headers.vary).toMatch(/accept-encoding/i);
    expect(compressed.body.length).toBeLessThan(identity.body.length / 2);
    expect(JSON.parse(decode(compressed.body).toString('utf8'))).toEqual(
      JSON.parse(identity.body.toString('utf8')),
    );

    // The tag names the revision: it revalidates whichever coding it came with.
    expect(compressed.headers.etag).toBe(identity.headers.etag);
    const revalidated = await rawGet(plain, path, {
      'accept-encoding': encoding,
      'if-none-match': compressed.headers.etag!,
    });
    expect(revalidated.status).toBe(304);
    expect(revalidated.body.length).toBe(0);
  });

  it('leaves small bodies as they are', async () => {
    const p = projectId();
    const created = await request(plain.baseUrl, 'POST', `/v1/projects/${p}/messages`, { content: 'short' });
    const response = await rawGet(plain, `/v1/projects/${p}/messages/${created.body.id}?minRevision=0`, {
      'accept-encoding': 'gzip, br',
    });
    expect(response.status).toBe(200);
    expect(response.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(response.body.toString('utf8'))).toMatchObject({ id: created.body.id });
  });

  it('never compresses a live stream: each event arrives as it happens', async () => {
    const p = await bigProject(plain);
    const stream = await openSse(`${plain.baseUrl}/v1/projects/${p}/live`, {
      'accept-encoding': 'gzip, br',
      'last-event-id': '-1',
    });
    try {
      expect(stream.response.headers.get('content-encoding')).toBeNull();
      expect((await stream.nextEvent()).id).toBe('0');
      await request(plain.baseUrl, 'POST', `/v1/projects/${p}/messages`, { content: 'live' });
      let event = await stream.nextEvent();
      while (event.id !== '12') event = await stream.nextEvent();
      expect(JSON.parse(event.data)).toMatchObject({ content: 'live' });
    } finally {
      stream.close();
    }
  });

  it('still refuses a compressed request body with 415', async () => {
    const response = await request(plain.baseUrl, 'POST', `/v1/projects/${projectId()}/messages`, '{}', {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(response.status).toBe(415);
  });
});
