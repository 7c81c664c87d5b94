import { createTestDatabase } from './support/database.js';
import { projectId, request } from './support/http.js';
import { type RunningService, startService } from './support/service.js';

let service: RunningService;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase('projects_list');
  service = await startService({ DATABASE_URL: databaseUrl });
});
afterAll(async () => service?.stop());

async function write(project: string, content: string): Promise<number> {
  const posted = await request(service.baseUrl, 'POST', `/v1/projects/${project}/messages`, { content });
  expect(posted.status).toBe(201);
  return posted.body.sequence;
}

/** Waits until the read model reflects the revision (the history query's read-your-writes). */
const projected = (project: string, revision: number) =>
  request(service.baseUrl, 'GET', `/v1/projects/${project}/messages?limit=1&minRevision=${revision}`);

const list = (query: string) => request(service.baseUrl, 'GET', `/v1/projects${query}`);

it('lists projects most recently active first, with their counts', async () => {
  const older = projectId('older');
  const newer = projectId('newer');
  await write(older, 'one');
  await write(older, 'two');
  await projected(older, 1);
  await write(newer, 'one');
  await projected(newer, 0);
  const page = await list('?limit=2');
  expect(page.status).toBe(200);
  expect(page.body.data.map((p: any) => p.projectId)).toEqual([newer, older]);
  expect(page.body.data[1]).toEqual({
    projectId: older,
    revision: 1,
    messageCount: 2,
    createdAt: expect.any(String),
    lastMessageAt: expect.any(String),
  });
  expect(page.body.nextCursor).toBeNull();
  expect((await list('?cursor=nonsense')).status).toBe(400);
  expect((await list('?limit=0')).status).toBe(400);
});

it('pages through every project once while others write', async () => {
  const existing = Array.from({ length: 60 }, (_, n) => projectId(`page${n}`));
  for (const project of existing) await write(project, 'first');
  await Promise.all(existing.map((project) => projected(project, 0)));

  let writing = true;
  const writer = (async () => {
    for (let n = 0; writing; n++) {
      // Moves existing projects to the front, and adds new ones, while the client pages.
      await write(existing[(n * 7) % existing.length] as string, `again ${n}`);
      await write(projectId('new'), 'hello');
    }
  })();
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: any = await list(`?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
    expect(page.status).toBe(200);
    seen.push(...page.body.data.map((p: any) => p.projectId));
    cursor = page.body.nextCursor;
    await new Promise((resolve) => setTimeout(resolve, 20));
  } while (cursor);
  writing = false;
  await writer;

  expect(new Set(seen).size).toBe(seen.length);
  for (const project of existing) expect(seen).toContain(project);
});
