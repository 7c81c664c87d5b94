import { randomUUID } from 'node:crypto';
import { createTestDatabase } from './support/database.js';
import { projectId, request } from './support/http.js';
import { type RunningService, startService } from './support/service.js';

let service: RunningService;
const get = (path: string) => request(service.baseUrl, 'GET', path);
const post = (path: string, body: unknown, headers?: Record<string, string>) =>
  request(service.baseUrl, 'POST', path, body, headers);

beforeAll(async () => {
  service = await startService({ DATABASE_URL: await createTestDatabase('queries') });
});
afterAll(async () => service?.stop());

/** A project with `count` user messages m0..m(count-1); resolves to its last revision. */
async function seed(p: string, count: number): Promise<number> {
  let revision = -1;
  for (let i = 0; i < count; i++) {
    const res = await post(`/v1/projects/${p}/messages`, { content: `m${i}` });
    revision = Number(res.headers.get('etag')?.replaceAll('"', ''));
  }
  return revision;
}

const contents = (body: any) => body.data.map((m: any) => m.content);

describe('GET /v1/projects/{projectId}/messages', () => {
  const p = projectId('history');
  let revision: number;
  beforeAll(async () => {
    revision = await seed(p, 12);
  });

  it('the newest page in ascending order, with hasMore, revision and ETag', async () => {
    const res = await get(`/v1/projects/${p}/messages?limit=5&minRevision=${revision}`);
    expect(res.status).toBe(200);
    expect(contents(res.body)).toEqual(['m7', 'm8', 'm9', 'm10', 'm11']);
    expect(res.body.hasMore).toBe(true);
    expect(res.body.revision).toBe(11);
    expect(res.headers.get('etag')).toBe('"11"');
  });

  it('defaults to 50 messages', async () => {
    const res = await get(`/v1/projects/${p}/messages?minRevision=${revision}`);
    expect(contents(res.body)).toHaveLength(12);
    expect(res.body.hasMore).toBe(false);
  });

  it('pages back with before and forward with after', async () => {
    const back = await get(`/v1/projects/${p}/messages?limit=5&before=7&minRevision=${revision}`);
    expect(contents(back.body)).toEqual(['m2', 'm3', 'm4', 'm5', 'm6']);
    expect(back.body.hasMore).toBe(true);
    const first = await get(`/v1/projects/${p}/messages?limit=5&before=2`);
    expect(contents(first.body)).toEqual(['m0', 'm1']);
    expect(first.body.hasMore).toBe(false);
    const forward = await get(`/v1/projects/${p}/messages?limit=5&after=2`);
    expect(contents(forward.body)).toEqual(['m3', 'm4', 'm5', 'm6', 'm7']);
    expect(forward.body.hasMore).toBe(true);
    const last = await get(`/v1/projects/${p}/messages?limit=5&after=8`);
    expect(contents(last.body)).toEqual(['m9', 'm10', 'm11']);
    expect(last.body.hasMore).toBe(false);
  });

  it('answers a project with no events with an empty page at revision -1', async () => {
    const res = await get(`/v1/projects/${projectId()}/messages`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [], hasMore: false, revision: -1 });
    expect(res.headers.get('etag')).toBe('"-1"');
  });

  it.each([
    ['limit=0'],
    ['limit=201'],
    ['limit=ten'],
    ['before=1&after=2'],
    ['before=-5'],
    ['after=x'],
    ['minRevision=abc'],
  ])('400 for %s', async (query) => {
    const res = await get(`/v1/projects/${p}/messages?${query}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('400 for a bad projectId', async () => {
    expect((await get(`/v1/projects/_bad/messages`)).status).toBe(400);
  });
});

describe('GET /v1/projects/{projectId}/messages/{messageId}', () => {
  it('returns the message, its completion, and 404 for an unknown id', async () => {
    const p = projectId('one');
    const reserved = await post(`/v1/projects/${p}/assistant-messages`, { content: 'Generating code' });
    const done = await post(`/v1/projects/${p}/assistant-messages/${reserved.body.id}/complete`, {
      content: 'Done',
    });
    const revision = done.headers.get('etag')?.replaceAll('"', '');
    const res = await get(`/v1/projects/${p}/messages/${reserved.body.id}?minRevision=${revision}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(done.body);
    expect((await get(`/v1/projects/${p}/messages/${randomUUID()}`)).status).toBe(404);
    expect((await get(`/v1/projects/${p}/messages/not-a-uuid`)).status).toBe(400);
  });
});

describe('read-your-writes', () => {
  it('minRevision right after a command always sees that command', async () => {
    const p = projectId('ryw');
    for (let i = 0; i < 40; i++) {
      const created = await post(`/v1/projects/${p}/messages`, { content: `w${i}` });
      const etag = created.headers.get('etag')?.replaceAll('"', '');
      const page = await get(`/v1/projects/${p}/messages?limit=1&minRevision=${etag}`);
      expect(page.status).toBe(200);
      expect(page.body.data[0]).toEqual(created.body);
      expect(page.body.revision).toBeGreaterThanOrEqual(Number(etag));
    }
  });

  it('answers 503 with Retry-After when the revision is not reached within 5 s', async () => {
    const p = projectId('future');
    await seed(p, 1);
    const started = Date.now();
    const res = await get(`/v1/projects/${p}/messages?minRevision=99`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBeTruthy();
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_900);
  });
});

describe('GET /v1/projections', () => {
  it('lists the messages projection as running and caught up', async () => {
    const p = projectId('status');
    const revision = await seed(p, 3);
    await get(`/v1/projects/${p}/messages?minRevision=${revision}`);
    const res = await get('/v1/projections');
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      expect.objectContaining({
        name: 'messages',
        version: 1,
        generation: 1,
        status: 'running',
        position: expect.any(String),
        lag: 0,
        lastError: null,
        updatedAt: expect.any(String),
        rebuild: null,
      }),
    ]);
  });

  it('404 for rebuilding an unknown projection', async () => {
    expect((await post('/v1/projections/nope/rebuild', {})).status).toBe(404);
  });
});
