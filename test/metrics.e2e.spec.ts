import { createTestDatabase } from './support/database.js';
import { projectId, request } from './support/http.js';
import { type RunningService, startService } from './support/service.js';
import { openSse } from './support/sse.js';

/** GET /metrics: the Prometheus text format, and figures that move with the traffic they count. */
let a: RunningService;
let b: RunningService;

beforeAll(async () => {
  const url = await createTestDatabase('metrics');
  [a, b] = await Promise.all([startService({ DATABASE_URL: url }), startService({ DATABASE_URL: url })]);
});
afterAll(async () => Promise.all([a?.stop(), b?.stop()]));

type Samples = Map<string, number>;

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (\S+)$/;
const COMMENT = /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$/;

/** Every sample, keyed by its name and labels as written; throws on a line of any other form. */
async function scrape(service: RunningService): Promise<Samples> {
  const response = await fetch(`${service.baseUrl}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples: Samples = new Map();
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || COMMENT.test(line)) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a sample line of the text format: ${line}`);
    samples.set(`${match[1]}${match[2] ?? ''}`, valueOf(match[3]!, line));
  }
  return samples;
}

/** A float as Prometheus reads one: also Inf and NaN, in any case, as Go's ParseFloat takes them. */
function valueOf(text: string, line: string): number {
  if (/^nan$/i.test(text)) return NaN;
  if (/^[+-]?inf$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  const value = Number(text);
  if (Number.isNaN(value) || text.trim() === '') throw new Error(`not a sample value: ${line}`);
  return value;
}

/** The sum over every sample of `name` whose labels include all of `labels`. */
function sum(samples: Samples, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const [key, value] of samples) {
    const [sampleName, labelText = ''] = key.split(/(?=\{)/);
    if (sampleName !== name) continue;
    if (Object.entries(labels).every(([label, v]) => labelText.includes(`${label}="${v}"`))) total += value;
  }
  return total;
}

it('answers the text format with the process metrics and every metric of the service', async () => {
  const samples = await scrape(a);
  for (const name of [
    'process_cpu_seconds_total',
    'nodejs_heap_size_used_bytes',
    'conversation_log_append_conflicts_total',
    'conversation_log_append_retries_total',
    'conversation_log_sse_streams_open',
    'conversation_log_db_pool_waiting_clients',
    'conversation_log_projection_lag_events',
    'conversation_log_projection_lag_seconds',
    'conversation_log_projection_failed',
    'conversation_log_projection_events_applied_total',
  ])
    expect([...samples.keys()].some((key) => key.split('{')[0] === name)).toBe(true);
  expect(sum(samples, 'conversation_log_db_pool_connections', { state: 'total' })).toBeGreaterThan(0);
});

it('counts requests by route template, never by URL, and appends with their batch sizes', async () => {
  const before = await scrape(a);
  const p = projectId('metrics');
  for (let i = 0; i < 3; i++)
    expect(
      (await request(a.baseUrl, 'POST', `/v1/projects/${p}/messages`, { content: `m${i}` })).status,
    ).toBe(201);
  expect((await request(a.baseUrl, 'GET', `/v1/projects/${p}/messages`)).status).toBe(200);
  expect((await request(a.baseUrl, 'GET', `/nowhere/${p}`)).status).toBe(404);
  const after = await scrape(a);

  const count = 'conversation_log_http_request_duration_seconds_count';
  const posts = { method: 'POST', route: '/v1/projects/:projectId/messages', status: '201' };
  expect(sum(after, count, posts) - sum(before, count, posts)).toBe(3);
  const reads = { method: 'GET', route: '/v1/projects/:projectId/messages', status: '200' };
  expect(sum(after, count, reads) - sum(before, count, reads)).toBe(1);
  const unmatched = { route: 'unmatched', status: '404' };
  expect(sum(after, count, unmatched) - sum(before, count, unmatched)).toBe(1);
  expect([...after.keys()].some((key) => key.includes(p))).toBe(false);

  const appended = { outcome: 'appended' };
  const appends = 'conversation_log_append_duration_seconds_count';
  expect(sum(after, appends, appended) - sum(before, appends, appended)).toBe(3);
  const batches = 'conversation_log_append_batch_commands_sum';
  expect(sum(after, batches) - sum(before, batches)).toBe(3);
});

it('shows a live stream while it is open, and no longer once it is closed', async () => {
  const open = 'conversation_log_sse_streams_open';
  const before = sum(await scrape(a), open);
  const sse = await openSse(`${a.baseUrl}/v1/projects/${projectId('metrics-live')}/live`);
  await sse.next();
  expect(sum(await scrape(a), open)).toBe(before + 1);
  sse.close();
  await until(async () => sum(await scrape(a), open) === before, 'the closed stream to be counted out');
});

it('counts conflicts and retries when two instances race for one conversation', async () => {
  const p = projectId('metrics-race');
  const names = ['conversation_log_append_conflicts_total', 'conversation_log_append_retries_total'];
  const total = async (name: string) => sum(await scrape(a), name) + sum(await scrape(b), name);
  const before = await Promise.all(names.map(total));
  // Each instance serializes its own writers: the conflicts are between the instances.
  for (let round = 0; round < 20; round++) {
    const writes = [a, b, a, b].map((service, i) =>
      request(service.baseUrl, 'POST', `/v1/projects/${p}/messages`, { content: `${round}-${i}` }),
    );
    for (const answer of await Promise.all(writes)) expect(answer.status).toBe(201);
    if ((await total(names[0]!)) > before[0]!) break;
  }
  const [conflicts, retries] = await Promise.all(names.map(total));
  expect(conflicts).toBeGreaterThan(before[0]!);
  expect(retries).toBeGreaterThan(before[1]!);
  const conflicted = { outcome: 'conflict' };
  const appends = 'conversation_log_append_duration_seconds_count';
  expect(sum(await scrape(a), appends, conflicted) + sum(await scrape(b), appends, conflicted)).toBe(
    conflicts,
  );
});

it('reports the projection caught up: position and applied events move, no lag, not failed', async () => {
  const labels = { projection: 'messages' };
  const before = await scrape(a);
  const p = projectId('metrics-projection');
  const created = await request(a.baseUrl, 'POST', `/v1/projects/${p}/messages`, { content: 'x' });
  // Read-your-write: the projection has applied the event once this answers.
  const revision = created.headers.get('etag')?.replaceAll('"', '');
  expect((await request(a.baseUrl, 'GET', `/v1/projects/${p}/messages?minRevision=${revision}`)).status).toBe(
    200,
  );
  await until(
    async () => sum(await scrape(a), 'conversation_log_projection_lag_events', labels) === 0,
    'no lag',
  );
  const after = await scrape(a);
  const applied = 'conversation_log_projection_events_applied_total';
  expect(sum(after, applied, labels)).toBeGreaterThan(sum(before, applied, labels));
  const position = 'conversation_log_projection_position';
  expect(sum(after, position, labels)).toBeGreaterThan(sum(before, position, labels));
  expect(sum(after, 'conversation_log_projection_lag_seconds', labels)).toBe(0);
  expect(sum(after, 'conversation_log_projection_failed', labels)).toBe(0);
});

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
