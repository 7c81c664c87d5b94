import { createTestDatabase } from '../../test/support/database.js';
import { projectId } from '../../test/support/http.js';
import { type RunningService, startService } from '../../test/support/service.js';
import { ConversationClient, NotFoundError } from '../src/index.js';

/** What the web console reads beside conversations: the projects list, event pages, projections. */
let service: RunningService;
let client: ConversationClient;

beforeAll(async () => {
  service = await startService({ DATABASE_URL: await createTestDatabase('client_ops') });
  client = new ConversationClient({ baseUrl: service.baseUrl });
});
afterAll(() => service?.stop());

it('pages the projects list with its cursor, most recently active first', async () => {
  const projects = [projectId('ops'), projectId('ops'), projectId('ops')];
  for (const project of projects) await client.postMessage(project, { content: 'hello' });
  // The list is read from the read model: wait until it holds the last write.
  let first = await client.projects({ limit: 2 });
  while (first.data[0]?.projectId !== projects[2]) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    first = await client.projects({ limit: 2 });
  }
  expect(first.data.map((summary) => summary.projectId)).toEqual([projects[2], projects[1]]);
  expect(first.nextCursor).toEqual(expect.any(String));
  const second = await client.projects({ limit: 2, cursor: first.nextCursor! });
  expect(second.data[0]).toMatchObject({ projectId: projects[0], messageCount: 1, revision: 0 });
});

it('reads one page of the event log from a revision, and says where the next begins', async () => {
  const project = projectId('ops');
  for (const content of ['a', 'b', 'c']) await client.postMessage(project, { content });
  const page = await client.eventPage(project, { fromRevision: 1, limit: 1 });
  expect(page.data).toEqual([expect.objectContaining({ revision: 1, type: 'UserMessaged' })]);
  expect(page.data[0]!.data).toMatchObject({ content: 'b' });
  expect(page.nextRevision).toBe(2);
  expect((await client.eventPage(project, { fromRevision: 2 })).nextRevision).toBeNull();
});

it('reads projection status and starts a rebuild into a newer generation', async () => {
  const [before] = await client.projections();
  expect(before).toMatchObject({ name: 'messages', status: expect.any(String), lag: expect.any(Number) });
  const requested = await client.rebuildProjection(before!.name);
  expect(requested.generation).toBeGreaterThan(before!.generation ?? 0);
  for (let status = before; status?.generation !== requested.generation;) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    [status] = await client.projections();
  }
  await expect(client.rebuildProjection('nothing-such')).rejects.toBeInstanceOf(NotFoundError);
});
