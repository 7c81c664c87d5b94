import { randomUUID } from 'node:crypto';
import { createTestDatabase } from './support/database.js';
import { projectId, readAllEvents, request } from './support/http.js';
import { type RunningService, startService } from './support/service.js';

let service: RunningService;
const post = (path: string, body?: unknown, headers?: Record<string, string>) =>
  request(service.baseUrl, 'POST', path, body, headers);

beforeAll(async () => {
  service = await startService({ DATABASE_URL: await createTestDatabase('commands') });
});
afterAll(async () => service?.stop());

function expectProblem(response: { status: number; headers: Headers; body: any }, status: number) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
  expect(typeof response.body.detail).toBe('string');
  expect(JSON.stringify(response.body)).not.toMatch(/at .*\.js:\d+|SELECT|INSERT|es_events/);
}

describe('POST /v1/projects/{projectId}/messages', () => {
  it('creates a user message: 201, Location, ETag and the Message', async () => {
    const p = projectId();
    const id = randomUUID();
    const res = await post(`/v1/projects/${p}/messages`, {
      id,
      content: 'hello',
      imageUrls: ['https://x.test/a.png'],
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v1/projects/${p}/messages/${id}`);
    expect(res.headers.get('etag')).toBe('"0"');
    expect(res.body).toEqual({
      id,
      projectId: p,
      sequence: 0,
      role: 'user',
      kind: 'message',
      status: 'success',
      content: 'hello',
      imageUrls: ['https://x.test/a.png'],
      replyTo: null,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      updatedAt: null,
      createdBy: null,
      revision: 0,
      metadata: {},
    });
  });

  it('generates a UUIDv7 id when the client sends none', async () => {
    const res = await post(`/v1/projects/${projectId()}/messages`, { content: 'hi' });
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('answers a retry with the same id and content with 200 and the original, appending nothing', async () => {
    const p = projectId();
    const body = { id: randomUUID(), content: 'once' };
    const first = await post(`/v1/projects/${p}/messages`, body);
    const retry = await post(`/v1/projects/${p}/messages`, body);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get('etag')).toBe('"0"');
    expect(await readAllEvents(service.baseUrl, p)).toHaveLength(1);
  });

  it('409 when the id exists with different content or role', async () => {
    const p = projectId();
    const id = randomUUID();
    await post(`/v1/projects/${p}/messages`, { id, content: 'one' });
    expectProblem(await post(`/v1/projects/${p}/messages`, { id, content: 'two' }), 409);
    const assistantId = randomUUID();
    await post(`/v1/projects/${p}/assistant-messages`, { id: assistantId });
    expectProblem(await post(`/v1/projects/${p}/messages`, { id: assistantId, content: 'x' }), 409);
    expect(await readAllEvents(service.baseUrl, p)).toHaveLength(2);
  });

  it.each([
    ['missing content', {}],
    ['empty content', { content: '' }],
    ['content over 100,000 characters', { content: 'x'.repeat(100_001) }],
    ['content with U+0000', { content: 'a\u0000b' }],
    ['content of the wrong type', { content: 42 }],
    ['an id that is not a UUID', { id: 'abc', content: 'x' }],
    ['an unknown field', { content: 'x', extra: true }],
    ['imageUrls not an array', { content: 'x', imageUrls: 'https://x.test/a.png' }],
    [
      '21 imageUrls',
      { content: 'x', imageUrls: Array.from({ length: 21 }, (_, i) => `https://x.test/${i}`) },
    ],
    ['a relative image URL', { content: 'x', imageUrls: ['/a.png'] }],
    ['an ftp image URL', { content: 'x', imageUrls: ['ftp://x.test/a.png'] }],
    [
      'an image URL over 2,048 characters',
      { content: 'x', imageUrls: [`https://x.test/${'a'.repeat(2040)}`] },
    ],
    ['a JSON array body', [{ content: 'x' }]],
    ['a JSON string body', 'just a string'],
  ])('400 for %s, storing nothing', async (_label, body) => {
    const p = projectId();
    const res = await post(
      `/v1/projects/${p}/messages`,
      typeof body === 'string' ? JSON.stringify(body) : body,
    );
    expectProblem(res, 400);
    expect(await readAllEvents(service.baseUrl, p)).toEqual([]);
  });

  it('lists each invalid field in errors', async () => {
    const res = await post(`/v1/projects/${projectId()}/messages`, { content: '', extra: 1 });
    expectProblem(res, 400);
    const fields = (res.body.errors as { field: string }[]).map((e) => e.field).sort();
    expect(fields).toEqual(expect.arrayContaining(['content', 'extra']));
  });

  it('accepts 100,000 characters and 20 image URLs of 2,048 characters', async () => {
    const url = `https://x.test/${'a'.repeat(2048 - 15)}`;
    const res = await post(`/v1/projects/${projectId()}/messages`, {
      content: 'y'.repeat(100_000),
      imageUrls: Array.from({ length: 20 }, () => url),
    });
    expect(res.status).toBe(201);
  });

  it('400 for malformed JSON, 415 for a body that is not JSON, 413 past 1 MiB', async () => {
    const p = projectId();
    const malformed = await post(`/v1/projects/${p}/messages`, '{"content": "x"');
    expectProblem(malformed, 400);
    expect(malformed.body.type).toBe('/problems/malformed-json');
    expectProblem(
      await post(`/v1/projects/${p}/messages`, 'content=x', { 'content-type': 'text/plain' }),
      415,
    );
    expectProblem(
      await post(`/v1/projects/${p}/messages`, 'a=b', {
        'content-type': 'application/x-www-form-urlencoded',
      }),
      415,
    );
    expectProblem(await post(`/v1/projects/${p}/messages`, { content: 'x'.repeat(1024 * 1024 + 10) }), 413);
    expect(await readAllEvents(service.baseUrl, p)).toEqual([]);
  });

  it.each([['-starts-with-dash'], ['has.dot'], ['a'.repeat(101)], ['sp%20ace']])(
    '400 for the projectId %s',
    async (bad) => {
      expectProblem(await post(`/v1/projects/${bad}/messages`, { content: 'x' }), 400);
    },
  );

  it('accepts a projectId of 100 characters and a UUID', async () => {
    expect((await post(`/v1/projects/${'a'.repeat(100)}/messages`, { content: 'x' })).status).toBe(201);
    expect((await post(`/v1/projects/${randomUUID()}/messages`, { content: 'x' })).status).toBe(201);
  });
});

describe('preconditions', () => {
  it('If-Match applies at the pinned revision and answers 412 with currentRevision otherwise', async () => {
    const p = projectId();
    await post(`/v1/projects/${p}/messages`, { content: 'a' });
    const ok = await post(`/v1/projects/${p}/messages`, { content: 'b' }, { 'if-match': '"0"' });
    expect(ok.status).toBe(201);
    expect(ok.headers.get('etag')).toBe('"1"');
    const stale = await post(`/v1/projects/${p}/messages`, { content: 'c' }, { 'if-match': '"0"' });
    expectProblem(stale, 412);
    expect(stale.body.currentRevision).toBe(1);
    expect(await readAllEvents(service.baseUrl, p)).toHaveLength(2);
  });

  it('If-None-Match: * applies only to a project with no events', async () => {
    const p = projectId();
    expect(
      (await post(`/v1/projects/${p}/messages`, { content: 'a' }, { 'if-none-match': '*' })).status,
    ).toBe(201);
    const again = await post(`/v1/projects/${p}/messages`, { content: 'b' }, { 'if-none-match': '*' });
    expectProblem(again, 412);
    expect(again.body.currentRevision).toBe(0);
  });

  it('a retry of a pinned write answers 200 with the original, even once the pin is stale', async () => {
    const p = projectId();
    const body = { id: randomUUID(), content: 'pinned' };
    const created = await post(`/v1/projects/${p}/messages`, body, { 'if-match': '"-1"' });
    expect(created.status).toBe(201);
    await post(`/v1/projects/${p}/messages`, { content: 'later' });
    const retry = await post(`/v1/projects/${p}/messages`, body, { 'if-match': '"-1"' });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(created.body);
    expect(retry.headers.get('etag')).toBe('"1"');
    expect(retry.headers.get('location')).toBeNull();
  });

  it('400 for a malformed If-Match or If-None-Match', async () => {
    const p = projectId();
    expectProblem(await post(`/v1/projects/${p}/messages`, { content: 'a' }, { 'if-match': '3' }), 400);
    expectProblem(
      await post(`/v1/projects/${p}/messages`, { content: 'a' }, { 'if-none-match': '"3"' }),
      400,
    );
  });
});

describe('assistant messages', () => {
  it('reserves a pending placeholder replying to a user message, then completes it', async () => {
    const p = projectId();
    const user = await post(`/v1/projects/${p}/messages`, { content: 'question' });
    const reserved = await post(`/v1/projects/${p}/assistant-messages`, {
      content: 'Generating code',
      replyTo: user.body.id,
    });
    expect(reserved.status).toBe(201);
    expect(reserved.body).toMatchObject({
      role: 'assistant',
      status: 'pending',
      replyTo: user.body.id,
      sequence: 1,
    });
    const id = reserved.body.id;
    const done = await post(`/v1/projects/${p}/assistant-messages/${id}/complete`, { content: 'answer' });
    expect(done.status).toBe(200);
    expect(done.headers.get('etag')).toBe('"2"');
    expect(done.body).toMatchObject({ id, status: 'success', content: 'answer', sequence: 1, revision: 2 });
    expect(done.body.updatedAt).toEqual(expect.any(String));
  });

  it('defaults content to "" and replyTo to null; a retry is 200; the id of a user message is 409', async () => {
    const p = projectId();
    const id = randomUUID();
    const first = await post(`/v1/projects/${p}/assistant-messages`, { id });
    expect(first.body).toMatchObject({ content: '', replyTo: null });
    const retry = await post(`/v1/projects/${p}/assistant-messages`, { id });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    const userId = randomUUID();
    await post(`/v1/projects/${p}/messages`, { id: userId, content: 'u' });
    expectProblem(await post(`/v1/projects/${p}/assistant-messages`, { id: userId }), 409);
  });

  it('422 when replyTo is unknown or is not a user message', async () => {
    const p = projectId();
    expectProblem(await post(`/v1/projects/${p}/assistant-messages`, { replyTo: randomUUID() }), 422);
    const assistant = await post(`/v1/projects/${p}/assistant-messages`, {});
    expectProblem(await post(`/v1/projects/${p}/assistant-messages`, { replyTo: assistant.body.id }), 422);
    const elsewhere = await post(`/v1/projects/${projectId()}/messages`, { content: 'other project' });
    expectProblem(await post(`/v1/projects/${p}/assistant-messages`, { replyTo: elsewhere.body.id }), 422);
  });

  it('completion: identical retry is 200 without appending, a different one is 409', async () => {
    const p = projectId();
    const { body } = await post(`/v1/projects/${p}/assistant-messages`, {});
    const path = `/v1/projects/${p}/assistant-messages/${body.id}/complete`;
    expect((await post(path, { content: 'failed', status: 'error' })).body.status).toBe('error');
    const retry = await post(path, { content: 'failed', status: 'error' });
    expect(retry.status).toBe(200);
    expect(retry.body.status).toBe('error');
    expectProblem(await post(path, { content: 'failed' }), 409);
    expectProblem(await post(path, { content: 'other', status: 'error' }), 409);
    expect(await readAllEvents(service.baseUrl, p)).toHaveLength(2);
  });

  it('completion: 404 for an unknown id or a user message, 400 for a bad id or status', async () => {
    const p = projectId();
    expectProblem(
      await post(`/v1/projects/${p}/assistant-messages/${randomUUID()}/complete`, { content: 'x' }),
      404,
    );
    const user = await post(`/v1/projects/${p}/messages`, { content: 'u' });
    expectProblem(
      await post(`/v1/projects/${p}/assistant-messages/${user.body.id}/complete`, { content: 'x' }),
      404,
    );
    expectProblem(
      await post(`/v1/projects/${p}/assistant-messages/not-a-uuid/complete`, { content: 'x' }),
      400,
    );
    const { body } = await post(`/v1/projects/${p}/assistant-messages`, {});
    const path = `/v1/projects/${p}/assistant-messages/${body.id}/complete`;
    expectProblem(await post(path, { content: 'x', status: 'done' }), 400);
    expectProblem(await post(path, { content: 7 }), 400);
  });
});

describe('POST /v1/projects/{projectId}/turns', () => {
  it('appends the user message and its reply together', async () => {
    const p = projectId();
    await post(`/v1/projects/${p}/messages`, { content: 'before' });
    const res = await post(`/v1/projects/${p}/turns`, {
      user: { content: 'q', imageUrls: [] },
      assistant: {},
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('etag')).toBe('"2"');
    const { user, assistant, revision } = res.body;
    expect(assistant.sequence).toBe(user.sequence + 1);
    expect(assistant.replyTo).toBe(user.id);
    expect(assistant).toMatchObject({ role: 'assistant', status: 'pending', content: '' });
    expect(revision).toBe(2);
  });

  it('a retry with the same ids (or the same user id alone) is 200 with the same body', async () => {
    const p = projectId();
    const body = {
      user: { id: randomUUID(), content: 'q' },
      assistant: { id: randomUUID(), content: '...' },
    };
    const first = await post(`/v1/projects/${p}/turns`, body);
    const retry = await post(`/v1/projects/${p}/turns`, body);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);

    const userOnly = { user: { id: randomUUID(), content: 'again' } };
    const created = await post(`/v1/projects/${p}/turns`, userOnly);
    const repeated = await post(`/v1/projects/${p}/turns`, userOnly);
    expect(repeated.status).toBe(200);
    expect(repeated.body).toEqual(created.body);
    expect(await readAllEvents(service.baseUrl, p)).toHaveLength(4);
  });

  it('400 for a missing or invalid user part, 409 when an id is taken', async () => {
    const p = projectId();
    expectProblem(await post(`/v1/projects/${p}/turns`, {}), 400);
    expectProblem(await post(`/v1/projects/${p}/turns`, { user: { content: '' } }), 400);
    expectProblem(await post(`/v1/projects/${p}/turns`, { user: { content: 'x', bogus: 1 } }), 400);
    const existing = await post(`/v1/projects/${p}/messages`, { content: 'm' });
    expectProblem(
      await post(`/v1/projects/${p}/turns`, { user: { content: 'x' }, assistant: { id: existing.body.id } }),
      409,
    );
    expect(await readAllEvents(service.baseUrl, p)).toHaveLength(1);
  });
});

describe('text PostgreSQL cannot store', () => {
  it.each([
    ['a lone high surrogate in content', 'messages', { content: 'x\ud800' }, 'content'],
    ['a lone low surrogate in content', 'messages', { content: '\udc00x' }, 'content'],
    ['a surrogate pair in the wrong order', 'messages', { content: 'a\udc00\ud800b' }, 'content'],
    [
      'a lone surrogate in an image URL',
      'messages',
      { content: 'x', imageUrls: ['https://x.test/a\ud800.png'] },
      'imageUrls',
    ],
    [
      'U+0000 in an image URL',
      'messages',
      { content: 'x', imageUrls: ['https://x.test/a\u0000.png'] },
      'imageUrls',
    ],
    ['a lone surrogate in a placeholder', 'assistant-messages', { content: '\ud800' }, 'content'],
    [
      'a lone surrogate in the user part of a turn',
      'turns',
      { user: { content: 'q\udbff' } },
      'user.content',
    ],
    [
      'a lone surrogate in the assistant part of a turn',
      'turns',
      { user: { content: 'q' }, assistant: { content: '\udfff' } },
      'assistant.content',
    ],
    [
      'a lone surrogate in an image URL of a turn',
      'turns',
      { user: { content: 'q', imageUrls: ['https://x.test/\ud800'] } },
      'user.imageUrls',
    ],
  ])('400 naming the field for %s, storing nothing', async (_label, route, body, field) => {
    const p = projectId();
    const res = await post(`/v1/projects/${p}/${route}`, body);
    expectProblem(res, 400);
    expect(res.body.type).toBe('/problems/validation');
    expect((res.body.errors as { field: string }[]).map((e) => e.field)).toContain(field);
    expect(await readAllEvents(service.baseUrl, p)).toEqual([]);
  });

  it('400 for a lone surrogate in a completion; the message stays pending', async () => {
    const p = projectId();
    const { body } = await post(`/v1/projects/${p}/assistant-messages`, {});
    const res = await post(`/v1/projects/${p}/assistant-messages/${body.id}/complete`, {
      content: 'a\ud800',
    });
    expectProblem(res, 400);
    expect((res.body.errors as { field: string }[]).map((e) => e.field)).toEqual(['content']);
    expect(await readAllEvents(service.baseUrl, p)).toHaveLength(1);
  });

  it('accepts characters outside the Basic Multilingual Plane (well-formed surrogate pairs)', async () => {
    const p = projectId();
    const content = 'emoji 😀, clef 𝄞, and \ud83e\uddea';
    const res = await post(`/v1/projects/${p}/messages`, { content, imageUrls: ['https://x.test/😀.png'] });
    expect(res.status).toBe(201);
    expect(res.body.content).toBe(content);
    const [stored] = await readAllEvents(service.baseUrl, p);
    expect(stored.data.content).toBe(content);
  });
});

describe('GET /v1/projects/{projectId}/events', () => {
  it('pages the raw log with fromRevision, limit and nextRevision', async () => {
    const p = projectId();
    const requestIds: (string | null)[] = [];
    for (let i = 0; i < 5; i++) {
      const posted = await post(`/v1/projects/${p}/messages`, { content: `m${i}` });
      requestIds.push(posted.headers.get('x-request-id'));
    }
    const page = await request(service.baseUrl, 'GET', `/v1/projects/${p}/events?fromRevision=1&limit=2`);
    expect(page.status).toBe(200);
    expect(page.body.nextRevision).toBe(3);
    expect(page.body.data.map((e: any) => e.revision)).toEqual([1, 2]);
    expect(page.body.data[0]).toEqual({
      revision: 1,
      type: 'UserMessaged',
      data: expect.objectContaining({ content: 'm1', projectId: p, imageUrls: [], createdBy: null }),
      // The request's id, generated since the client sent none.
      metadata: {
        correlationId: requestIds[1],
        causationId: expect.any(String),
        userId: null,
        schemaVersion: 2,
      },
      createdAt: expect.any(String),
      position: expect.any(String),
    });
    const last = await request(service.baseUrl, 'GET', `/v1/projects/${p}/events?fromRevision=3`);
    expect(last.body.nextRevision).toBeNull();
    const empty = await request(service.baseUrl, 'GET', `/v1/projects/${projectId()}/events`);
    expect(empty.body).toEqual({ data: [], nextRevision: null });
  });

  it.each([['limit=0'], ['limit=1001'], ['limit=abc'], ['fromRevision=-1'], ['fromRevision=1.5']])(
    '400 for %s',
    async (query) => {
      expectProblem(
        await request(service.baseUrl, 'GET', `/v1/projects/${projectId()}/events?${query}`),
        400,
      );
    },
  );
});

describe('unknown routes', () => {
  it('answer 404 as problem details', async () => {
    expectProblem(await request(service.baseUrl, 'GET', '/v1/nothing-here'), 404);
  });
});
