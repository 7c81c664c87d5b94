import { randomUUID } from 'node:crypto';
import { createTestDatabase } from './support/database.js';
import { projectId, request } from './support/http.js';
import { type RunningService, startService } from './support/service.js';

let service: RunningService;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('streaming');
  service = await startService({ DATABASE_URL: databaseUrl, LIVE_STREAMS_PER_CLIENT: '1000' });
});
afterAll(async () => service?.stop());

const post = (path: string, body: unknown) => request(service.baseUrl, 'POST', path, body);

async function reserve(project: string, body: Record<string, unknown> = {}): Promise<string> {
  const id = randomUUID();
  const reserved = await post(`/v1/projects/${project}/assistant-messages`, { id, ...body });
  expect(reserved.status).toBe(201);
  return id;
}

const stream = (project: string, id: string, offset: number, delta: string) =>
  post(`/v1/projects/${project}/assistant-messages/${id}/stream`, { offset, delta });

async function readMessage(project: string, id: string, minRevision: number) {
  const read = await request(
    service.baseUrl,
    'GET',
    `/v1/projects/${project}/messages/${id}?minRevision=${minRevision}`,
  );
  expect(read.status).toBe(200);
  return read.body;
}

describe('streaming a reply', () => {
  it('appends deltas at the offset, shows the content so far as pending, and takes a retry as a 200 that appends nothing', async () => {
    const p = projectId();
    const id = await reserve(p, { content: 'He' });
    const first = await stream(p, id, 2, 'llo');
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ id, length: 5, revision: 1 });
    expect(first.headers.get('etag')).toBe('"1"');
    const retry = await stream(p, id, 2, 'llo');
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({ id, length: 5, revision: 1 });
    expect((await stream(p, id, 5, ', world')).body).toMatchObject({ length: 12, revision: 2 });

    expect(await readMessage(p, id, 2)).toMatchObject({
      status: 'pending',
      content: 'Hello, world',
      revision: 2,
    });
    const history = await request(service.baseUrl, 'GET', `/v1/projects/${p}/messages`);
    expect(history.body.data).toEqual([
      expect.objectContaining({ id, content: 'Hello, world', metadata: {} }),
    ]);
    const events = await request(service.baseUrl, 'GET', `/v1/projects/${p}/events`);
    expect(events.body.data.map((e: any) => [e.type, e.data.offset, e.data.delta])).toEqual([
      ['AssistantReserved', undefined, undefined],
      ['AssistantDeltaAppended', 2, 'llo'],
      ['AssistantDeltaAppended', 5, ', world'],
    ]);
  });

  it('answers a stale offset with 409 and the current length', async () => {
    const p = projectId();
    const id = await reserve(p);
    await stream(p, id, 0, 'abc');
    for (const offset of [0, 1, 7]) {
      const stale = await stream(p, id, offset, 'zz');
      expect(stale.status).toBe(409);
      expect(stale.body).toMatchObject({ type: '/problems/stale-offset', currentLength: 3 });
    }
  });

  it('refuses deltas to an unknown or completed message, and past 100,000 characters', async () => {
    const p = projectId();
    expect((await stream(p, randomUUID(), 0, 'x')).status).toBe(404);
    const id = await reserve(p);
    expect((await stream(p, id, 0, 'x'.repeat(16_000))).status).toBe(200);
    expect((await stream(p, id, 0, 'x'.repeat(16_001))).status).toBe(400);
    let offset = 16_000;
    while (offset + 16_000 <= 100_000) {
      expect((await stream(p, id, offset, 'y'.repeat(16_000))).status).toBe(200);
      offset += 16_000;
    }
    const tooLong = await stream(p, id, offset, 'z'.repeat(100_001 - offset));
    expect(tooLong.status).toBe(400);
    await post(`/v1/projects/${p}/assistant-messages/${id}/complete`, {});
    expect((await stream(p, id, offset, 'z')).body).toMatchObject({
      status: 409,
      type: '/problems/message-completed',
    });
  });

  it('completes with the streamed content when content is omitted, and replaces it when given', async () => {
    const p = projectId();
    const kept = await reserve(p);
    const replaced = await reserve(p);
    await stream(p, kept, 0, 'streamed text');
    await stream(p, replaced, 0, 'draft');
    const keep = await post(`/v1/projects/${p}/assistant-messages/${kept}/complete`, {});
    expect(keep.body).toMatchObject({ status: 'success', content: 'streamed text' });
    const replace = await post(`/v1/projects/${p}/assistant-messages/${replaced}/complete`, {
      content: 'final',
    });
    expect(replace.body).toMatchObject({ status: 'success', content: 'final' });
    // A retry of a completion without content is a retry still.
    expect((await post(`/v1/projects/${p}/assistant-messages/${kept}/complete`, {})).status).toBe(200);
    expect(await readMessage(p, kept, 5)).toMatchObject({ content: 'streamed text', status: 'success' });
    expect(await readMessage(p, replaced, 5)).toMatchObject({ content: 'final', status: 'success' });
  });
});

describe('message metadata', () => {
  it('is stored in the events and merged by the completion, key by key', async () => {
    const p = projectId();
    const user = await post(`/v1/projects/${p}/messages`, { content: 'hi', metadata: { client: 'web' } });
    expect(user.body.metadata).toEqual({ client: 'web' });
    const id = await reserve(p, { metadata: { model: 'm-1', tokens: { input: 10 } } });
    const completed = await post(`/v1/projects/${p}/assistant-messages/${id}/complete`, {
      content: 'done',
      metadata: { tokens: { input: 10, output: 3 }, finish: 'stop' },
    });
    const merged = { model: 'm-1', tokens: { input: 10, output: 3 }, finish: 'stop' };
    expect(completed.body.metadata).toEqual(merged);
    expect((await readMessage(p, id, 2)).metadata).toEqual(merged);
    const events = await request(service.baseUrl, 'GET', `/v1/projects/${p}/events`);
    expect(events.body.data[2].data.metadata).toEqual({ tokens: { input: 10, output: 3 }, finish: 'stop' });
    expect(events.body.data[2].metadata.schemaVersion).toBe(2);
  });

  it('takes 16 KiB of JSON and refuses more, arrays, and text PostgreSQL cannot store', async () => {
    const p = projectId();
    const fits = { note: 'x'.repeat(16 * 1024 - '{"note":""}'.length) };
    expect((await post(`/v1/projects/${p}/messages`, { content: 'a', metadata: fits })).status).toBe(201);
    const over = { note: 'x'.repeat(16 * 1024 - '{"note":""}'.length + 1) };
    for (const metadata of [over, ['a'], 'text', { bad: 'nul\u0000' }, { ['\ud800']: 1 }]) {
      const refused = await post(`/v1/projects/${p}/messages`, { content: 'a', metadata });
      expect(refused.status).toBe(400);
      expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'metadata' })]);
    }
  });
});
