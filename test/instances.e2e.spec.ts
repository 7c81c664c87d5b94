import { randomUUID } from 'node:crypto';
import { createTestDatabase } from './support/database.js';
import { projectId, readAllEvents, request } from './support/http.js';
import { type RunningService, startService } from './support/service.js';

/**
 * Two instances on one database. Each caches the conversations it has written; a decision that
 * appends nothing (an error, a precondition failure, a retry's answer) must not rest on a cache
 * that another instance has made stale.
 */
let a: RunningService;
let b: RunningService;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('instances');
  [a, b] = await Promise.all([
    startService({ DATABASE_URL: databaseUrl }),
    startService({ DATABASE_URL: databaseUrl }),
  ]);
});
afterAll(async () => Promise.all([a?.stop(), b?.stop()]));

const post = (on: RunningService, path: string, body?: unknown, headers?: Record<string, string>) =>
  request(on.baseUrl, 'POST', path, body, headers);

/** A project that instance `a` has cached at revision 0. */
async function cachedOnA(): Promise<string> {
  const p = projectId('stale');
  expect((await post(a, `/v1/projects/${p}/messages`, { content: 'first, through a' })).status).toBe(201);
  return p;
}

describe('a decision on an instance whose cache another instance made stale', () => {
  it('completes the assistant message of a turn started on the other instance', async () => {
    const p = await cachedOnA();
    const turn = await post(b, `/v1/projects/${p}/turns`, { user: { content: 'question, through b' } });
    expect(turn.status).toBe(201);
    const done = await post(a, `/v1/projects/${p}/assistant-messages/${turn.body.assistant.id}/complete`, {
      content: 'answer, through a',
    });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'success', content: 'answer, through a', revision: 3 });
    expect(done.headers.get('etag')).toBe('"3"');
  });

  it('reserves a reply to a user message written on the other instance', async () => {
    const p = await cachedOnA();
    const user = await post(b, `/v1/projects/${p}/messages`, { content: 'through b' });
    const reply = await post(a, `/v1/projects/${p}/assistant-messages`, { replyTo: user.body.id });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ replyTo: user.body.id, sequence: 2 });
  });

  it('honours If-Match with the true current revision, and reports it when stale', async () => {
    const p = await cachedOnA();
    expect((await post(b, `/v1/projects/${p}/messages`, { content: 'through b' })).status).toBe(201);
    const stale = await post(
      a,
      `/v1/projects/${p}/messages`,
      { content: 'pinned at 0' },
      { 'if-match': '"0"' },
    );
    expect(stale.status).toBe(412);
    expect(stale.body.currentRevision).toBe(1);
    const current = await post(
      a,
      `/v1/projects/${p}/messages`,
      { content: 'pinned at 1' },
      { 'if-match': '"1"' },
    );
    expect(current.status).toBe(201);
    expect(current.headers.get('etag')).toBe('"2"');
  });

  it('answers a retry of a message stored through the other instance with the current revision', async () => {
    const p = await cachedOnA();
    const body = { id: randomUUID(), content: 'written through b' };
    expect((await post(b, `/v1/projects/${p}/messages`, body)).status).toBe(201);
    expect((await post(b, `/v1/projects/${p}/messages`, { content: 'later, through b' })).status).toBe(201);
    const retry = await post(a, `/v1/projects/${p}/messages`, body);
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ id: body.id, sequence: 1 });
    expect(retry.headers.get('etag')).toBe('"2"');
    expect(await readAllEvents(a.baseUrl, p)).toHaveLength(3);
  });

  it('still refuses what the store confirms: an unknown assistant message is 404 on both', async () => {
    const p = await cachedOnA();
    const unknown = randomUUID();
    for (const on of [a, b]) {
      const res = await post(on, `/v1/projects/${p}/assistant-messages/${unknown}/complete`, {
        content: 'x',
      });
      expect(res.status).toBe(404);
    }
  });

  it('under load: completions of turns started on other instances all succeed', async () => {
    const p = projectId('stale-load');
    const instances = [a, b];
    const failures: number[] = [];
    await Promise.all(
      Array.from({ length: 16 }, async (_, c) => {
        for (let i = 0; i < 10; i++) {
          const start = instances[(c + i) % 2]!;
          const finish = instances[(c + i + 1) % 2]!;
          const turn = await post(start, `/v1/projects/${p}/turns`, { user: { content: `${c}/${i}` } });
          if (turn.status !== 201) {
            failures.push(turn.status);
            continue;
          }
          const done = await post(
            finish,
            `/v1/projects/${p}/assistant-messages/${turn.body.assistant.id}/complete`,
            {
              content: `answer ${c}/${i}`,
            },
          );
          if (done.status !== 200) failures.push(done.status);
        }
      }),
    );
    expect(failures).toEqual([]);
    const events = await readAllEvents(a.baseUrl, p);
    expect(events.filter((event) => event.type === 'AssistantCompleted')).toHaveLength(160);
  });
});
