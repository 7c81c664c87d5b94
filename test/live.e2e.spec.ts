import { get, type IncomingMessage } from 'node:http';
import pg from 'pg';
import { createTestDatabase } from './support/database.js';
import { projectId, readAllEvents, request } from './support/http.js';
import { logEntries } from './support/logs.js';
import { type RunningService, startService } from './support/service.js';
import { openSse, type SseConnection, type SseEvent, SseParser } from './support/sse.js';

let databaseUrl: string;
let a: RunningService;
let b: RunningService;
const opened: SseConnection[] = [];

beforeAll(async () => {
  databaseUrl = await createTestDatabase('live');
  // Every test client comes from one address: the cap per client must not get in the way here.
  const env = { DATABASE_URL: databaseUrl, SSE_HEARTBEAT_MS: '200', LIVE_STREAMS_PER_CLIENT: '1000' };
  [a, b] = await Promise.all([startService(env), startService(env)]);
});
afterEach(() => opened.splice(0).forEach((connection) => connection.close()));
afterAll(async () => Promise.all([a?.stop(), b?.stop()]));

const post = (service: RunningService, path: string, body: unknown) =>
  request(service.baseUrl, 'POST', path, body).then((response) => {
    if (response.status >= 300) throw new Error(`POST ${path}: ${response.status}`);
    return response;
  });

async function live(
  service: RunningService,
  project: string,
  query = '',
  headers: Record<string, string> = {},
): Promise<SseConnection> {
  const connection = await openSse(`${service.baseUrl}/v1/projects/${project}/live${query}`, headers);
  opened.push(connection);
  expect(connection.response.status).toBe(200);
  expect(connection.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  return connection;
}

async function events(connection: SseConnection, count: number): Promise<SseEvent[]> {
  const received: SseEvent[] = [];
  while (received.length < count) received.push(await connection.nextEvent(10_000));
  return received;
}

const summary = (received: SseEvent[]) => received.map((e) => [Number(e.id), e.event]);
const NAMES: Record<string, string> = {
  UserMessaged: 'message.created',
  AssistantReserved: 'message.created',
  AssistantCompleted: 'message.updated',
};

describe('GET /v1/projects/{projectId}/live', () => {
  it('opens with the SSE headers and a comment, then sends each change as the message at that revision', async () => {
    const p = projectId();
    const sse = await live(a, p);
    expect(sse.response.headers.get('cache-control')).toBe('private, no-cache');
    expect(sse.response.headers.get('x-accel-buffering')).toBe('no');
    expect(await sse.next()).toEqual({ kind: 'comment', text: expect.any(String) });

    const user = await post(a, `/v1/projects/${p}/messages`, { content: 'hello' });
    const turn = await post(a, `/v1/projects/${p}/turns`, { user: { content: 'q' }, assistant: {} });
    const path = `/v1/projects/${p}/assistant-messages/${turn.body.assistant.id}/complete`;
    const done = await post(a, path, { content: 'answer', status: 'error' });

    const received = await events(sse, 4);
    expect(summary(received)).toEqual([
      [0, 'message.created'],
      [1, 'message.created'],
      [2, 'message.created'],
      [3, 'message.updated'],
    ]);
    expect(received.map((e) => JSON.parse(e.data))).toEqual([
      user.body,
      turn.body.user,
      turn.body.assistant,
      done.body,
    ]);
    expect(done.body).toMatchObject({ status: 'error', content: 'answer', revision: 3, sequence: 2 });
  });

  it('starts with a retry field, so that an EventSource reconnects after 2 s', async () => {
    const p = projectId();
    // The first bytes, raw: the field comes before anything else.
    const response = await fetch(`${a.baseUrl}/v1/projects/${p}/live`, {
      headers: { accept: 'text/event-stream' },
      signal: AbortSignal.timeout(5_000),
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let head = '';
    while (!head.includes('\n\n')) {
      const { value, done } = await reader.read();
      if (done) break;
      head += value;
    }
    await reader.cancel();
    expect(head).toMatch(/^retry: 2000\n/);

    const sse = await live(a, p, '?fromRevision=-1');
    expect(await sse.next()).toEqual({ kind: 'comment', text: expect.any(String) });
    expect(sse.retry()).toBe(2000);
    await post(a, `/v1/projects/${p}/messages`, { content: 'after the retry field' });
    const [first] = await events(sse, 1);
    expect([first?.id, first?.event]).toEqual(['0', 'message.created']);
  });

  it('without a resume point starts live, replaying nothing', async () => {
    const p = projectId();
    for (let i = 0; i < 3; i++) await post(a, `/v1/projects/${p}/messages`, { content: `old ${i}` });
    const sse = await live(a, p);
    await post(a, `/v1/projects/${p}/messages`, { content: 'new' });
    const [first] = await events(sse, 1);
    expect(first?.id).toBe('3');
    expect(JSON.parse(first?.data ?? '')).toMatchObject({ content: 'new', sequence: 3 });
  });

  it('replays a completion whose message was created before the resume point', async () => {
    const p = projectId();
    const reserved = await post(a, `/v1/projects/${p}/assistant-messages`, { content: 'wait' });
    await post(a, `/v1/projects/${p}/messages`, { content: 'meanwhile' });
    const path = `/v1/projects/${p}/assistant-messages/${reserved.body.id}/complete`;
    const done = await post(a, path, { content: 'ready' });
    const sse = await live(b, p, '?fromRevision=1');
    const [change] = await events(sse, 1);
    expect([change?.id, change?.event]).toEqual(['2', 'message.updated']);
    expect(JSON.parse(change?.data ?? '')).toEqual(done.body);
  });

  it.each([
    ['?fromRevision=R', (r: number) => ({ query: `?fromRevision=${r}`, headers: {} })],
    [
      'Last-Event-ID (which wins over ?fromRevision)',
      (r: number) => ({ query: '?fromRevision=0', headers: { 'last-event-id': String(r) } }),
    ],
  ])(
    'resumes with %s: replays, then goes live under 8 concurrent writers without a gap or a duplicate',
    async (_label, resume) => {
      const p = projectId();
      for (let i = 0; i < 10; i++) await post(a, `/v1/projects/${p}/messages`, { content: `before ${i}` });
      const R = 6;
      // Already following the project, so the resumed client joins a channel that is ahead of it.
      const follower = await live(a, p);
      let writing = true;
      const writers = Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          for (let i = 0; i < 25; i++) {
            if (w === 0 && i % 5 === 0) {
              const { body } = await post(a, `/v1/projects/${p}/assistant-messages`, {});
              await post(a, `/v1/projects/${p}/assistant-messages/${body.id}/complete`, { content: 'x' });
            } else {
              await post(i % 2 ? a : b, `/v1/projects/${p}/messages`, { content: `w${w} m${i}` });
            }
          }
        }),
      ).finally(() => (writing = false));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const { query, headers } = resume(R);
      const sse = await live(a, p, query, headers);
      expect(writing).toBe(true);
      await writers;

      const log = await readAllEvents(a.baseUrl, p);
      const last = log.length - 1;
      expect(last).toBeGreaterThanOrEqual(10 + 8 * 25);
      const received: SseEvent[] = [];
      while (Number(received.at(-1)?.id ?? R) < last) received.push(await sse.nextEvent(10_000));

      const expected = log.filter((event) => event.revision > R);
      expect(summary(received)).toEqual(expected.map((event) => [event.revision, NAMES[event.type]]));
      received.forEach((event, i) => {
        expect(JSON.parse(event.data)).toMatchObject({
          id: expected[i].data.messageId,
          projectId: p,
          revision: expected[i].revision,
        });
      });
      const followed = await events(follower, last - 9);
      expect(summary(followed)).toEqual(summary(received).slice(10 - R - 1));
      await post(a, `/v1/projects/${p}/messages`, { content: 'after' });
      expect((await sse.nextEvent(10_000)).id).toBe(String(last + 1));
    },
  );

  it('gives a client that stops reading every change in order once it reads again', async () => {
    const p = projectId();
    const response = await new Promise<IncomingMessage>((resolve, reject) =>
      get(`${a.baseUrl}/v1/projects/${p}/live`, resolve).on('error', reject),
    );
    response.pause();
    try {
      const content = 'z'.repeat(100_000);
      for (let i = 0; i < 100; i++) await post(b, `/v1/projects/${p}/messages`, { content });
      // Far more than the socket buffers hold: the service had to wait for 'drain'.
      const parser = new SseParser();
      const ids: number[] = [];
      response.setEncoding('utf8');
      for await (const chunk of response) {
        for (const item of parser.push(chunk as string)) {
          if (item.kind !== 'event') continue;
          ids.push(Number(item.id));
          expect(JSON.parse(item.data).content).toHaveLength(100_000);
        }
        if (ids.length >= 100) break;
      }
      expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => i));
    } finally {
      response.destroy();
    }
  });

  it('sends heartbeat comments', async () => {
    const sse = await live(a, projectId());
    let heartbeats = 0;
    const deadline = Date.now() + 2_000;
    while (heartbeats < 3 && Date.now() < deadline) {
      const item = await sse.next(1_000);
      if (item.kind === 'comment' && item.text === 'heartbeat') heartbeats++;
    }
    expect(heartbeats).toBe(3);
  });

  it('delivers changes written through another instance on the same database', async () => {
    const p = projectId();
    const onB = await live(b, p);
    const onA = await live(a, p, '?fromRevision=-1');
    await post(a, `/v1/projects/${p}/messages`, { content: 'via a' });
    await post(b, `/v1/projects/${p}/messages`, { content: 'via b' });
    for (const sse of [onA, onB]) {
      const received = await events(sse, 2);
      expect(summary(received)).toEqual([
        [0, 'message.created'],
        [1, 'message.created'],
      ]);
      expect(received.map((e) => JSON.parse(e.data).content)).toEqual(['via a', 'via b']);
    }
  });

  it.each([
    ['fromRevision=-2', '?fromRevision=-2', {}],
    ['fromRevision=abc', '?fromRevision=abc', {}],
    ['fromRevision=1.5', '?fromRevision=1.5', {}],
    ['a bad Last-Event-ID', '?fromRevision=3', { 'last-event-id': 'x7' }],
  ])('400 problem for %s, before any stream starts', async (_label, query, headers) => {
    const res = await request(
      a.baseUrl,
      'GET',
      `/v1/projects/${projectId()}/live${query}`,
      undefined,
      headers,
    );
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 400, type: expect.any(String) });
  });

  it('400 problem for a bad projectId', async () => {
    const res = await request(a.baseUrl, 'GET', `/v1/projects/-bad.id/live`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('holds many clients without a connection each, and stays healthy when they all leave', async () => {
    const connections = async () => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const { rows } = await client.query(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()',
        );
        return rows[0].n as number;
      } finally {
        await client.end();
      }
    };
    const before = await connections();
    const projects = [projectId(), projectId(), projectId()];
    const clients = await Promise.all(
      Array.from({ length: 150 }, (_, i) => live(i % 2 ? a : b, projects[i % 3] as string)),
    );
    // At most each instance's pool (DATABASE_POOL_SIZE, 20 by default) grows, whatever the client count.
    expect(await connections()).toBeLessThan(before + 2 * 20 + 5);
    await post(a, `/v1/projects/${projects[0]}/messages`, { content: 'to all' });
    const reached = clients.filter((_, i) => i % 3 === 0);
    for (const sse of reached) expect((await sse.nextEvent(10_000)).id).toBe('0');

    clients.forEach((sse) => sse.close());
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const service of [a, b]) {
      expect((await request(service.baseUrl, 'GET', '/health/ready')).status).toBe(200);
      const sse = await live(service, projects[0] as string, '?fromRevision=-1');
      expect((await sse.nextEvent()).id).toBe('0');
    }
    const entries = logEntries(a.output() + b.output());
    expect(entries.filter((entry) => entry.level === 'ERROR' || entry.level === 'FATAL')).toEqual([]);
  });
});
