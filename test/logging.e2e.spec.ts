import { connect } from 'node:net';
import { createTestDatabase } from './support/database.js';
import { logEntries, type LogEntry, STACK_LINE } from './support/logs.js';
import { projectId, request } from './support/http.js';
import { type RunningService, startService } from './support/service.js';

/**
 * What operators read: each event logged at the level it deserves, in words true to it. The
 * service runs at LOG_LEVEL=debug so that what is logged below warn is seen too.
 */
let service: RunningService;

beforeAll(async () => {
  service = await startService({ DATABASE_URL: await createTestDatabase('logging'), LOG_LEVEL: 'debug' });
});
afterAll(async () => service?.stop());

/**
 * Runs `action`, then waits until `count` entries matching `until` are logged (lines are written
 * asynchronously, so they may arrive apart); returns what was logged.
 */
async function logsOf(
  action: () => Promise<unknown>,
  until: (entry: LogEntry) => boolean,
  count = 1,
): Promise<LogEntry[]> {
  const mark = service.output().length;
  await action();
  const deadline = Date.now() + 10_000;
  for (;;) {
    const entries = logEntries(service.output().slice(mark));
    if (entries.filter(until).length >= count || Date.now() > deadline) return entries;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const http = (entry: LogEntry) => entry.context === 'HTTP';

it('says at start-up that authentication is off, naming the variables that turn it on', () => {
  const entries = logEntries(service.output());
  const warning = entries.find((entry) => entry.context === 'Main' && entry.level === 'WARN');
  expect(warning?.message).toMatch(
    /authentication is off.*AUTH_JWT_SECRET.*AUTH_JWKS_URL.*every route is open/i,
  );
});

it('a client that disconnects mid-body is a client abort at debug, not a database failure', async () => {
  const p = projectId('abort');
  const entries = await logsOf(
    () =>
      new Promise<void>((resolve, reject) => {
        const socket = connect(service.port, '127.0.0.1', () => {
          socket.write(
            `POST /v1/projects/${p}/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
              'Content-Length: 1000\r\n\r\n{"content":"only part of',
          );
          setTimeout(() => socket.destroy(), 200);
        });
        socket.on('close', () => resolve());
        socket.on('error', reject);
      }),
    (entry) => http(entry) && entry.message.includes(p),
  );
  const own = entries.filter((entry) => http(entry) && entry.message.includes(p));
  expect(own).toHaveLength(1);
  expect(own[0]).toMatchObject({ level: 'DEBUG' });
  expect(own[0]?.message).toMatch(/client-aborted/);
  // The project id (random) is left out, so that its digits cannot look like a status.
  expect(own[0]?.message.replace(p, '<project>')).not.toMatch(/database|unavailable|\b503\b/i);
  expect(own[0]?.message).not.toMatch(STACK_LINE);
  expect(entries.filter((entry) => ['ERROR', 'WARN'].includes(entry.level))).toEqual([]);
});

it('a minRevision wait that times out answers 503 with Retry-After and logs one debug line, no stack', async () => {
  const p = projectId('wait');
  const created = await request(service.baseUrl, 'POST', `/v1/projects/${p}/messages`, { content: 'x' });
  let answers: { status: number; headers: Headers }[] = [];
  const entries = await logsOf(
    async () => {
      answers = await Promise.all([
        request(service.baseUrl, 'GET', `/v1/projects/${p}/messages?minRevision=5`),
        request(service.baseUrl, 'GET', `/v1/projects/${p}/messages/${created.body.id}?minRevision=5`),
      ]);
    },
    (entry) => http(entry) && entry.message.includes(p),
    2,
  );
  for (const answer of answers) {
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('1');
  }
  const own = entries.filter((entry) => http(entry) && entry.message.includes(p));
  expect(own).toHaveLength(2);
  for (const entry of own) {
    expect(entry.level).toBe('DEBUG');
    expect(entry.message).toMatch(/503 revision-not-reached/);
    expect(entry.message).not.toMatch(STACK_LINE);
  }
  expect(entries.filter((entry) => ['ERROR', 'WARN'].includes(entry.level))).toEqual([]);
});

it('client errors (4xx) are logged at debug, never above', async () => {
  const p = projectId('client-error');
  const entries = await logsOf(
    async () => {
      await request(service.baseUrl, 'POST', `/v1/projects/${p}/messages`, { content: 'x\ud800' });
      await request(service.baseUrl, 'POST', `/v1/projects/${p}/messages`, '{"content":');
      await request(service.baseUrl, 'GET', `/v1/projects/${p}/messages?limit=0`);
    },
    (entry) => http(entry) && entry.message.includes(`${p}/messages?limit=0`),
  );
  const own = entries.filter((entry) => http(entry) && entry.message.includes(p));
  expect(own.map((entry) => entry.level)).toEqual(['DEBUG', 'DEBUG', 'DEBUG']);
  for (const entry of own) expect(entry.message).toMatch(/→ 400 /);
  expect(entries.filter((entry) => ['ERROR', 'WARN'].includes(entry.level))).toEqual([]);
});

it('writes the line of a lone request within a second, though lines are written in batches', async () => {
  const p = projectId('lone');
  const mark = service.output().length;
  await request(service.baseUrl, 'GET', `/v1/projects/${p}/messages`);
  const deadline = Date.now() + 1_000;
  let lines: LogEntry[] = [];
  while (lines.length === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    lines = logEntries(service.output().slice(mark)).filter(
      (entry) => entry.message === 'request completed' && JSON.stringify(entry.fields.req).includes(p),
    );
  }
  expect(lines).toHaveLength(1);
});
