import { createTestDatabase } from './support/database.js';
import { EventStoreDbStandIn } from './support/eventstoredb-standin.js';
import { type JsonResponse, projectId, request } from './support/http.js';
import { freePort } from './support/ports.js';
import { type RunningService, startService } from './support/service.js';
import { openSse, type SseConnection, type SseEvent } from './support/sse.js';
import { runCli } from './support/cli.js';

/**
 * The built service on EVENT_STORE=eventstoredb: the log in the EventStoreDB stand-in (in this
 * process, reached through the real client), the read model and the projector's checkpoints in
 * PostgreSQL. Two instances share both, as in the production topology.
 *
 * With EVENTSTORE_CONNECTION_STRING set (`npm run test:eventstoredb`), the log is that server
 * instead; the tests that drive the server itself (ending its subscriptions, making it hang) need
 * the stand-in and are skipped, saying so. Project ids are fresh each run, so a server holding
 * older data serves as well.
 */
const liveServer = process.env.EVENTSTORE_CONNECTION_STRING?.trim() || undefined;
/** Tests that control the server: they run on the stand-in only. */
const describeOnStandIn = liveServer ? describe.skip : describe;
const where = liveServer ? 'a live server' : 'the stand-in';

let standIn: EventStoreDbStandIn | undefined;
let env: Record<string, string>;
let a: RunningService;
let b: RunningService;
const opened: SseConnection[] = [];

beforeAll(async () => {
  standIn = liveServer ? undefined : await EventStoreDbStandIn.start();
  env = {
    EVENT_STORE: 'eventstoredb',
    EVENTSTORE_CONNECTION_STRING: liveServer ?? standIn!.connectionString,
    DATABASE_URL: await createTestDatabase('eventstoredb'),
    SSE_HEARTBEAT_MS: '200',
  };
  [a, b] = await Promise.all([startService(env), startService(env)]);
});
afterEach(() => opened.splice(0).forEach((connection) => connection.close()));
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await standIn?.stop();
});

const post = (service: RunningService, path: string, body: unknown) =>
  request(service.baseUrl, 'POST', path, body);
const get = (service: RunningService, path: string) => request(service.baseUrl, 'GET', path);

async function live(service: RunningService, project: string): Promise<SseConnection> {
  const connection = await openSse(`${service.baseUrl}/v1/projects/${project}/live`);
  opened.push(connection);
  expect(connection.response.status).toBe(200);
  return connection;
}

async function events(connection: SseConnection, count: number): Promise<SseEvent[]> {
  const received: SseEvent[] = [];
  while (received.length < count) received.push(await connection.nextEvent(10_000));
  return received;
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe(`the service on EventStoreDB (through ${where})`, () => {
  it('is ready', async () => {
    for (const service of [a, b]) expect((await get(service, '/health/ready')).status).toBe(200);
  });

  it('posts messages and turns with their sequences, and reads them back with minRevision', async () => {
    const p = projectId('esdb');
    const first = await post(a, `/v1/projects/${p}/messages`, { content: 'one' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ sequence: 0, revision: 0 });
    const turn = await post(a, `/v1/projects/${p}/turns`, { user: { content: 'q' }, assistant: {} });
    expect(turn.status).toBe(201);
    expect(turn.body.user.sequence).toBe(1);
    expect(turn.body.assistant.sequence).toBe(2);
    const done = await post(a, `/v1/projects/${p}/assistant-messages/${turn.body.assistant.id}/complete`, {
      content: 'answer',
    });
    expect(done.status).toBe(200);

    const history = await get(a, `/v1/projects/${p}/messages?minRevision=${done.body.revision}`);
    expect(history.status).toBe(200);
    expect(history.body.data.map((m: { content: string }) => m.content)).toEqual(['one', 'q', 'answer']);
    expect(history.body.revision).toBe(done.body.revision);
    const events = await get(a, `/v1/projects/${p}/events`);
    expect(events.status).toBe(200);
  });

  it('a write through one instance reaches the other instance: /live and minRevision', async () => {
    const p = projectId('esdb-two');
    const onA = await live(a, p);
    const onB = await live(b, p);
    const written = await post(b, `/v1/projects/${p}/messages`, { content: 'through b' });
    expect(written.status).toBe(201);
    for (const sse of [onA, onB]) {
      const [change] = await events(sse, 1);
      expect(change).toMatchObject({ id: '0', event: 'message.created' });
      expect(JSON.parse(change!.data)).toEqual(written.body);
    }
    const read = await get(a, `/v1/projects/${p}/messages/${written.body.id}?minRevision=0`);
    expect(read.status).toBe(200);
    expect(read.body.content).toBe('through b');
  });

  it('erases a project on either instance: 410 everywhere after, live streams told, erasing again 204', async () => {
    const p = projectId('esdb-erase');
    expect((await post(a, `/v1/projects/${p}/messages`, { content: 'to be erased' })).status).toBe(201);
    const onB = await live(b, p);
    expect((await request(a.baseUrl, 'DELETE', `/v1/projects/${p}`)).status).toBe(204);

    const [told] = await events(onB, 1);
    expect(told).toMatchObject({ event: 'project.erased' });
    for (const service of [a, b]) {
      expect((await get(service, `/v1/projects/${p}/messages`)).status).toBe(410);
      expect((await get(service, `/v1/projects/${p}/events`)).status).toBe(410);
      const refused = await post(service, `/v1/projects/${p}/messages`, { content: 'after' });
      expect(refused.status).toBe(410);
      expect(refused.body.type).toBe('/problems/project-erased');
    }
    expect((await request(b.baseUrl, 'DELETE', `/v1/projects/${p}`)).status).toBe(204);
  });
});

describeOnStandIn('the service on EventStoreDB: subscriptions (needs the stand-in, to end them)', () => {
  // Narrows the type: this block is skipped on a live server.
  const server = () => standIn!;

  it('holds one append subscription per instance', async () => {
    await until(() => server().subscriptions === 2, 'one subscription per instance');
  });

  it.each(['end', 'unavailable'] as const)(
    'after the server ends its subscriptions (%s), both instances resubscribe and nothing is missed',
    async (how) => {
      const standIn = server();
      const p = projectId('esdb-resume');
      const onA = await live(a, p);
      await until(() => standIn.subscriptions === 2, 'both subscriptions');
      standIn.endSubscriptions(how);
      // Written during the gap, before any instance has resubscribed.
      const gap = await post(b, `/v1/projects/${p}/messages`, { content: 'in the gap' });
      expect(gap.status).toBe(201);
      await until(() => standIn.subscriptions === 2, 'the resubscriptions');
      const after = await post(a, `/v1/projects/${p}/messages`, { content: 'after' });
      expect(summaryOf(await events(onA, 2))).toEqual([
        [0, 'message.created'],
        [1, 'message.created'],
      ]);
      const history = await get(b, `/v1/projects/${p}/messages?minRevision=${after.body.revision}`);
      expect(history.status).toBe(200);
      expect(history.body.data.map((m: { content: string }) => m.content)).toEqual(['in the gap', 'after']);
      const status = await get(a, '/v1/projections/messages');
      expect(status.status).toBe(200);
      await until(
        async () => (await get(a, '/v1/projections/messages')).body.lastError === null,
        'a clear status',
      );
      expect(a.output() + b.output()).toMatch(/event store subscription failed, resubscribing in \d+ ms/);
    },
  );
});

/** The built projections CLI, with the service's settings. */
const cli = (args: string[]) => runCli(args, env);

describe(`the projections CLI on EventStoreDB (through ${where})`, () => {
  it('status, verify, and a blue/green rebuild built by the running service read the log through the port', async () => {
    const p = projectId('esdb-cli');
    let last: any;
    for (let i = 0; i < 5; i++)
      last = (await post(a, `/v1/projects/${p}/messages`, { content: `m${i}` })).body;
    const before = await get(a, `/v1/projects/${p}/messages?minRevision=${last.revision}`);
    expect(before.status).toBe(200);

    const status = await cli(['status']);
    expect(status.stdout).toMatch(/^messages +\d+ +running /m);
    const verified = await cli(['verify']);
    expect(verified.code).toBe(0);

    const rebuilt = await cli(['rebuild', 'messages']);
    expect(rebuilt.stderr).toContain("the running service's projector is building it");
    expect(rebuilt.stdout).toMatch(/generation \d+ \(version \d+\) is live/);
    expect(rebuilt.code).toBe(0);
    expect((await get(b, `/v1/projects/${p}/messages`)).body.data).toEqual(before.body.data);
    expect((await cli(['verify'])).code).toBe(0);
  });
});

describe('the service on an EventStoreDB that cannot be reached', () => {
  let service: RunningService;
  beforeAll(async () => {
    const closed = await freePort();
    service = await startService({
      EVENT_STORE: 'eventstoredb',
      EVENTSTORE_CONNECTION_STRING: `esdb://127.0.0.1:${closed}?tls=false&defaultDeadline=2000`,
      DATABASE_URL: await createTestDatabase('eventstoredb-unreachable'),
    });
  });
  afterAll(async () => service?.stop());

  it('answers a command with a 503 problem and Retry-After within seconds, and is not ready', async () => {
    const started = Date.now();
    const res = await post(service, `/v1/projects/${projectId('down')}/messages`, { content: 'x' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    const ready = await get(service, '/health/ready');
    expect(ready.status).toBe(503);
    expect(JSON.stringify(ready.body)).toMatch(/eventStore/);
  });
});

describeOnStandIn(
  'the service on an EventStoreDB that stops answering (needs the stand-in, to hang it)',
  () => {
    const DEADLINE_MS = 1_000;
    /** Scheduling and process start-up noise on a busy machine. */
    const MARGIN_MS = 1_500;
    let hanging: EventStoreDbStandIn;
    let service: RunningService;
    beforeAll(async () => {
      hanging = await EventStoreDbStandIn.start();
      service = await startService({
        EVENT_STORE: 'eventstoredb',
        EVENTSTORE_CONNECTION_STRING: hanging.connectionString,
        EVENTSTORE_DEADLINE_MS: String(DEADLINE_MS),
        DATABASE_URL: await createTestDatabase('eventstoredb-hanging'),
      });
    });
    afterAll(async () => {
      await service?.stop();
      await hanging?.stop();
    });

    const timed = async <T>(call: () => Promise<T>): Promise<{ result: T; ms: number }> => {
      const started = Date.now();
      const result = await call();
      return { result, ms: Date.now() - started };
    };
    const expectUnavailable = (res: JsonResponse) => {
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    };

    it('answers 503 within the configured deadline while it hangs, and recovers by itself', async () => {
      const known = projectId('hang-known');
      const first = await post(service, `/v1/projects/${known}/messages`, { content: 'before' });
      expect(first.status).toBe(201);
      const projected = await get(
        service,
        `/v1/projects/${known}/messages?minRevision=${first.body.revision}`,
      );
      expect(projected.status).toBe(200);
      hanging.hang();

      // A new conversation: its stream is read first.
      const fresh = await timed(() =>
        post(service, `/v1/projects/${projectId('hang-new')}/messages`, { content: 'x' }),
      );
      expectUnavailable(fresh.result);
      expect(fresh.ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
      // A conversation in the cache: the append times out with its outcome unknown, and the stream is
      // read to find out: at most two deadlines.
      const cached = await timed(() =>
        post(service, `/v1/projects/${known}/messages`, { content: 'during' }),
      );
      expectUnavailable(cached.result);
      expect(cached.ms).toBeLessThan(2 * DEADLINE_MS + MARGIN_MS);
      const events = await timed(() => get(service, `/v1/projects/${known}/events`));
      expectUnavailable(events.result);
      expect(events.ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
      const ready = await timed(() => get(service, '/health/ready'));
      expect(ready.result.status).toBe(503);
      expect(JSON.stringify(ready.result.body)).toMatch(/eventStore/);
      expect(ready.ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
      // The read model is in PostgreSQL: history is still served.
      const history = await get(service, `/v1/projects/${known}/messages`);
      expect(history.status).toBe(200);
      expect(history.body.data.map((m: { content: string }) => m.content)).toEqual(['before']);

      hanging.answerAgain();
      let after: JsonResponse | undefined;
      await until(async () => {
        after = await post(service, `/v1/projects/${known}/messages`, { content: 'after' });
        return after.status === 201;
      }, 'a command to succeed again');
      await until(async () => (await get(service, '/health/ready')).status === 200, 'readiness');
      const recovered = await get(
        service,
        `/v1/projects/${known}/messages?minRevision=${after!.body.revision}`,
      );
      expect(recovered.status).toBe(200);
      expect(recovered.body.data.map((m: { content: string }) => m.content)).toEqual(['before', 'after']);
      expect(service.output()).not.toMatch(/"statusCode":500|Internal Server Error/);
    });
  },
);

const summaryOf = (received: SseEvent[]) => received.map((e) => [Number(e.id), e.event]);
