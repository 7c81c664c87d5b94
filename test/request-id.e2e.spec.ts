import { createTestDatabase } from './support/database.js';
import { logEntries } from './support/logs.js';
import { projectId, readAllEvents, request } from './support/http.js';
import { type RunningService, startService } from './support/service.js';
import { openSse } from './support/sse.js';

/** X-Request-Id: taken when well-formed, else generated; always answered, logged and recorded. */
let service: RunningService;

beforeAll(async () => {
  service = await startService({ DATABASE_URL: await createTestDatabase('request-id'), LOG_LEVEL: 'info' });
});
afterAll(async () => service?.stop());

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function post(project: string, headers: Record<string, string> = {}) {
  return request(
    service.baseUrl,
    'POST',
    `/v1/projects/${project}/messages`,
    { content: 'secret words' },
    headers,
  );
}

it('echoes a well-formed id, records it as the correlationId and logs it on the request line', async () => {
  const p = projectId('rid');
  const id = `Client_id-1.${'x'.repeat(100)}`;
  const created = await post(p, { 'x-request-id': id, authorization: 'Bearer some.secret.token' });
  expect(created.status).toBe(201);
  expect(created.headers.get('x-request-id')).toBe(id);
  const [event] = await readAllEvents(service.baseUrl, p);
  expect(event.metadata.correlationId).toBe(id);

  const line = await requestLine(id);
  expect(line.fields).toMatchObject({
    route: '/v1/projects/:projectId/messages',
    req: { method: 'POST', path: `/v1/projects/${p}/messages` },
    res: { status: 201 },
  });
  expect(typeof line.fields.durationMs).toBe('number');
  expect(service.output()).not.toMatch(/secret words|some\.secret\.token/);
});

it.each([
  ['too long', 'a'.repeat(129)],
  ['with characters outside A-Z a-z 0-9 . _ -', 'id with spaces'],
  ['forging a log line', 'x"}\n{"level":"error'],
])('replaces an id %s with a generated one, answered and recorded', async (_, given) => {
  const p = projectId('rid-bad');
  const created = await post(p, { 'x-request-id': given.replace('\n', '') });
  const answered = created.headers.get('x-request-id');
  expect(answered).toMatch(UUID_V7);
  expect((await readAllEvents(service.baseUrl, p))[0].metadata.correlationId).toBe(answered);
});

it('generates an id when none is given, on every kind of answer', async () => {
  const p = projectId('rid-none');
  const answers = [
    await post(p),
    await request(service.baseUrl, 'GET', `/v1/projects/${p}/messages?limit=0`),
    await request(service.baseUrl, 'GET', `/nowhere`),
    await request(service.baseUrl, 'DELETE', `/v1/projects/${p}/messages`),
  ];
  expect(answers.map((answer) => answer.status)).toEqual([201, 400, 404, 405]);
  const ids = answers.map((answer) => answer.headers.get('x-request-id'));
  for (const id of ids) expect(id).toMatch(UUID_V7);
  expect(new Set(ids).size).toBe(ids.length);
  expect((await readAllEvents(service.baseUrl, p))[0].metadata.correlationId).toBe(ids[0]);

  const sse = await openSse(`${service.baseUrl}/v1/projects/${p}/live`, { 'x-request-id': 'stream-1' });
  expect(sse.response.headers.get('x-request-id')).toBe('stream-1');
  sse.close();
});

/** The one line logged when the request with this id ended. */
async function requestLine(id: string) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const lines = logEntries(service.output()).filter(
      (entry) => entry.fields.requestId === id && entry.message === 'request completed',
    );
    if (lines.length > 0 || Date.now() > deadline) {
      expect(lines).toHaveLength(1);
      return lines[0]!;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
