import pg from 'pg';
import { createTestDatabase } from './support/database.js';
import { projectId, request } from './support/http.js';
import { type RunningService, startService } from './support/service.js';
import { secretToken, TEST_SECRET } from './support/tokens.js';

let service: RunningService;
let databaseUrl: string;

beforeAll(async () => {
  databaseUrl = await createTestDatabase('erasure_auth');
  service = await startService({ DATABASE_URL: databaseUrl, AUTH_JWT_SECRET: TEST_SECRET });
});
afterAll(async () => {
  await service?.stop();
});

const bearer = async (projects: string[], scope?: string) => ({
  authorization: `Bearer ${await secretToken({ sub: 'eraser-1', projects, ...(scope ? { scope } : {}) })}`,
});

describe('DELETE /v1/projects/{projectId} with authentication on', () => {
  it('needs the project in the token and the scope conversations:erase; the tombstone names the subject', async () => {
    const p = projectId('auth');
    const own = await bearer([p]);
    expect(
      (await request(service.baseUrl, 'POST', `/v1/projects/${p}/messages`, { content: 'x' }, own)).status,
    ).toBe(201);

    const otherProject = await request(
      service.baseUrl,
      'DELETE',
      `/v1/projects/${p}`,
      undefined,
      await bearer([projectId('other')], 'conversations:erase'),
    );
    expect(otherProject.status).toBe(403);
    const noScope = await request(service.baseUrl, 'DELETE', `/v1/projects/${p}`, undefined, own);
    expect(noScope.status).toBe(403);
    expect(noScope.body.detail).toContain('conversations:erase');
    expect((await request(service.baseUrl, 'GET', `/v1/projects/${p}/messages`, undefined, own)).status).toBe(
      200,
    );

    const erased = await request(service.baseUrl, 'DELETE', `/v1/projects/${p}`, undefined, {
      ...(await bearer([p], 'conversations:erase')),
      'x-request-id': 'erase-request-1',
    });
    expect(erased.status).toBe(204);
    expect((await request(service.baseUrl, 'GET', `/v1/projects/${p}/messages`, undefined, own)).status).toBe(
      410,
    );

    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query('SELECT * FROM project_tombstones WHERE project_id = $1', [p]);
      expect(rows).toEqual([
        { project_id: p, erased_at: expect.any(Date), erased_by: 'eraser-1', request_id: 'erase-request-1' },
      ]);
    } finally {
      await db.end();
    }
  });
});

describe('GET /v1/projects with authentication on', () => {
  it('lists only the projects in the token\'s claim, all of them with ["*"], and needs a token', async () => {
    const [mine, theirs] = [projectId('listed'), projectId('unlisted')];
    const all = await bearer(['*']);
    for (const p of [mine, theirs]) {
      const posted = await request(
        service.baseUrl,
        'POST',
        `/v1/projects/${p}/messages`,
        { content: p },
        all,
      );
      expect(posted.status).toBe(201);
    }
    const listed = async (headers: Record<string, string>) => {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string =
          cursor === null ? '?limit=200' : `?limit=200&cursor=${encodeURIComponent(cursor)}`;
        const page = await request(service.baseUrl, 'GET', `/v1/projects${query}`, undefined, headers);
        expect(page.status).toBe(200);
        ids.push(...page.body.data.map((project: { projectId: string }) => project.projectId));
        cursor = page.body.nextCursor;
      } while (cursor !== null);
      return ids;
    };
    // The list is the read model's: wait until the projector has both.
    const deadline = Date.now() + 10_000;
    let everything = await listed(all);
    while (!(everything.includes(mine) && everything.includes(theirs)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      everything = await listed(all);
    }
    expect(everything).toEqual(expect.arrayContaining([mine, theirs]));
    await expect(listed(await bearer([mine]))).resolves.toEqual([mine]);
    expect((await request(service.baseUrl, 'GET', '/v1/projects')).status).toBe(401);
  });
});
