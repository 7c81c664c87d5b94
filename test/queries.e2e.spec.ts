import { messagesProjection } from '../projections/messages/messages.projection.js';
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

  it('holds every message exactly as the command answered it and GET of the message gives it', async () => {
    const p = projectId('history-fields');
    const user = await post(`/v1/projects/${p}/messages`, {
      content: 'Cut the intro — and "quote" \\ this \u2028 ✂️',
      imageUrls: ['https://example.com/a.png'],
      metadata: { client: { name: 'editor', build: 7 }, tags: ['a', 'b'], empty: {} },
    });
    const reserved = await post(`/v1/projects/${p}/assistant-messages`, {
      content: 'Generating code',
      replyTo: user.body.id,
      metadata: { model: 'm-1', usage: { input: 12 } },
    });
    await post(`/v1/projects/${p}/assistant-messages/${reserved.body.id}/stream`, { offset: 0, delta: 'Do' });
    const completed = await post(`/v1/projects/${p}/assistant-messages/${reserved.body.id}/complete`, {
      metadata: { usage: { output: 3 } },
    });
    const pending = await post(`/v1/projects/${p}/assistant-messages`, { replyTo: user.body.id });
    const revision = pending.headers.get('etag')?.replaceAll('"', '');

    const page = await get(`/v1/projects/${p}/messages?minRevision=${revision}`);
    expect(page.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const single = await Promise.all(
      [user, completed, pending].map((answer) => get(`/v1/projects/${p}/messages/${answer.body.id}`)),
    );
    expect(page.body.data).toEqual(single.map((res) => res.body));
    expect(page.body.data).toEqual([user.body, completed.body, pending.body]);
    expect(page.body.data[1].updatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
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

describe('conditional GET: ETag and If-None-Match', () => {
  const getIf = (path: string, ifNoneMatch: string) =>
    request(service.baseUrl, 'GET', path, undefined, { 'if-none-match': ifNoneMatch });

  /** A 304: no body, and the validator it confirms. */
  function expectNotModified(res: Awaited<ReturnType<typeof get>>, etag: string): void {
    expect(res.status).toBe(304);
    expect(res.body).toBeUndefined();
    expect(res.headers.get('etag')).toBe(etag);
  }

  describe('history pages', () => {
    const p = projectId('etag-history');
    let revision: number;
    beforeAll(async () => {
      revision = await seed(p, 6);
      await get(`/v1/projects/${p}/messages?minRevision=${revision}`);
    });

    it('304 with the ETag and no body when If-None-Match names the revision', async () => {
      const path = `/v1/projects/${p}/messages?limit=3`;
      const full = await get(path);
      expect(full.status).toBe(200);
      expect(full.headers.get('etag')).toBe(`"${revision}"`);
      expectNotModified(await getIf(path, `"${revision}"`), `"${revision}"`);
      // Any page of the history at that revision, e.g. one further back.
      expectNotModified(await getIf(`${path}&before=3`, `"${revision}"`), `"${revision}"`);
    });

    it.each([
      ['a list', (r: number) => `"0", "${r}"`],
      ['a list without spaces', (r: number) => `"x",W/"${r}"`],
      ['a weak tag (weak comparison)', (r: number) => `W/"${r}"`],
      ['*', () => '*'],
    ])('304 for %s', async (_name, header) => {
      expectNotModified(await getIf(`/v1/projects/${p}/messages`, header(revision)), `"${revision}"`);
    });

    it.each([
      ['another revision', (r: number) => `"${r - 1}"`],
      ['a list without it', (r: number) => `"${r - 1}", W/"${r + 1}"`],
      ['an unquoted revision (malformed: ignored)', (r: number) => `${r}`],
      ['a malformed list (ignored)', (r: number) => `"${r}", x`],
    ])('200 with the page for %s', async (_name, header) => {
      const res = await getIf(`/v1/projects/${p}/messages`, header(revision));
      expect(res.status).toBe(200);
      expect(res.body.data).toHaveLength(6);
      expect(res.headers.get('etag')).toBe(`"${revision}"`);
    });

    it('with minRevision, waits for the revision first and then compares', async () => {
      const written = await post(`/v1/projects/${p}/messages`, { content: 'newer' });
      const next = Number(written.headers.get('etag')?.replaceAll('"', ''));
      const res = await getIf(`/v1/projects/${p}/messages?minRevision=${next}`, `"${revision}"`);
      expect(res.status).toBe(200);
      expect(res.headers.get('etag')).toBe(`"${next}"`);
      expect(res.body.data.at(-1).content).toBe('newer');
      expectNotModified(
        await getIf(`/v1/projects/${p}/messages?minRevision=${next}`, `"${next}"`),
        `"${next}"`,
      );
    });

    it('a project with no events: 304 for "-1"', async () => {
      expectNotModified(await getIf(`/v1/projects/${projectId()}/messages`, '"-1"'), '"-1"');
    });

    it('HEAD is conditional too', async () => {
      const res = await request(service.baseUrl, 'HEAD', `/v1/projects/${p}/messages`, undefined, {
        'if-none-match': '*',
      });
      expect(res.status).toBe(304);
    });
  });

  describe('one message', () => {
    it("the ETag is the message's own revision: other messages do not change it, its completion does", async () => {
      const p = projectId('etag-message');
      const reserved = await post(`/v1/projects/${p}/assistant-messages`, { content: 'Generating code' });
      const path = `/v1/projects/${p}/messages/${reserved.body.id}`;
      const first = await get(`${path}?minRevision=0`);
      expect(first.status).toBe(200);
      expect(first.headers.get('etag')).toBe('"0"');

      const other = await post(`/v1/projects/${p}/messages`, { content: 'unrelated' });
      expect(other.headers.get('etag')).toBe('"1"');
      expectNotModified(await getIf(`${path}?minRevision=1`, '"0"'), '"0"');

      const done = await post(`/v1/projects/${p}/assistant-messages/${reserved.body.id}/complete`, {
        content: 'Done',
      });
      expect(done.body.revision).toBe(2);
      const changed = await getIf(`${path}?minRevision=2`, '"0"');
      expect(changed.status).toBe(200);
      expect(changed.body).toEqual(done.body);
      expect(changed.headers.get('etag')).toBe('"2"');

      expectNotModified(await getIf(path, '"2"'), '"2"');
      expectNotModified(await getIf(path, 'W/"2"'), '"2"');
      expectNotModified(await getIf(path, '"0", "1", "2"'), '"2"');
      expectNotModified(await getIf(path, '*'), '"2"');
      expect((await getIf(path, '"0", "1"')).status).toBe(200);
    });

    it('a message that does not exist (yet) stays a 404, whatever If-None-Match says', async () => {
      const p = projectId('etag-missing');
      await seed(p, 1);
      for (const header of ['*', '"0"', '"-1"', 'W/"0"']) {
        const res = await getIf(`/v1/projects/${p}/messages/${randomUUID()}?minRevision=0`, header);
        expect(res.status).toBe(404);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(res.headers.get('etag')).toBeNull();
      }
    });
  });

  it('If-None-Match: * on a command is still the "no events yet" precondition', async () => {
    const p = projectId('etag-command');
    expect(
      (await post(`/v1/projects/${p}/messages`, { content: 'a' }, { 'if-none-match': '*' })).status,
    ).toBe(201);
    expect(
      (await post(`/v1/projects/${p}/messages`, { content: 'b' }, { 'if-none-match': '*' })).status,
    ).toBe(412);
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
        version: messagesProjection.version,
        generation: 1,
        status: 'running',
        position: expect.any(String),
        lag: 0,
        lastError: null,
        updatedAt: expect.any(String),
        rebuild: null,
      }),
    ]);
    // Every event the log holds so far was applied to the generation served (one per message here).
    const applied = res.body[0].eventsApplied as number;
    expect(applied).toBeGreaterThanOrEqual(3);
    const more = await seed(p, 2);
    await get(`/v1/projects/${p}/messages?minRevision=${more}`);
    expect((await get('/v1/projections')).body[0].eventsApplied).toBe(applied + 2);
  });

  it('404 for rebuilding an unknown projection', async () => {
    expect((await post('/v1/projections/nope/rebuild', {})).status).toBe(404);
  });
});
