import { createTestDatabase } from '../../test/support/database.js';
import { projectId, readAllEvents } from '../../test/support/http.js';
import { type RunningService, startService } from '../../test/support/service.js';
import { clientLosingFirstAnswer } from './support/losing-client.js';
import {
  ConflictError,
  type ConversationStore,
  ConversationClient,
  StaleOffsetError,
  watchConversation,
} from '../src/index.js';
import { cuttingProxy, type CuttingProxy } from './support/cutting-proxy.js';
import { droppingProxy } from './support/dropping-proxy.js';

let service: RunningService;
let proxy: CuttingProxy;
let client: ConversationClient;

beforeAll(async () => {
  const env = { DATABASE_URL: await createTestDatabase('client_stream'), SSE_HEARTBEAT_MS: '200' };
  service = await startService(env);
  proxy = await cuttingProxy(service.port);
  client = new ConversationClient({ baseUrl: service.baseUrl });
});
afterAll(async () => {
  await proxy?.close();
  await service?.stop();
});

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('stream', () => {
  it('appends each piece at its offset; the same offset and delta again appends nothing', async () => {
    const project = projectId('cs');
    const reply = await client.reserveAssistant(project, { content: '' });
    expect(await client.stream(project, reply.id, { offset: 0, delta: 'Hel' })).toMatchObject({ length: 3 });
    expect(await client.stream(project, reply.id, { offset: 3, delta: 'lo' })).toMatchObject({ length: 5 });
    expect(await client.stream(project, reply.id, { offset: 3, delta: 'lo' })).toMatchObject({ length: 5 });
    expect(await client.message(project, reply.id)).toMatchObject({ content: 'Hello', status: 'pending' });
    const deltas = (await readAllEvents(service.baseUrl, project)).filter(
      (event) => event.type === 'AssistantDeltaAppended',
    );
    expect(deltas).toHaveLength(2);
  });

  it('a lost answer is retried with the same offset and delta, and the piece is appended once', async () => {
    const project = projectId('cs');
    const reply = await client.reserveAssistant(project, { content: '' });
    const { client: flaky, calls } = clientLosingFirstAnswer(service.baseUrl);
    expect(await flaky.stream(project, reply.id, { offset: 0, delta: 'once' })).toMatchObject({ length: 4 });
    expect(calls()).toBe(2);
    // Read through the client that wrote: its read waits for its own write to reach the read model.
    expect(await flaky.message(project, reply.id)).toMatchObject({ content: 'once' });
    const events = await readAllEvents(service.baseUrl, project);
    expect(events.filter((event) => event.type === 'AssistantDeltaAppended')).toHaveLength(1);
  });

  it('a stale offset is a StaleOffsetError (a ConflictError) carrying currentLength', async () => {
    const project = projectId('cs');
    const reply = await client.reserveAssistant(project, { content: '' });
    await client.stream(project, reply.id, { offset: 0, delta: 'abcdef' });
    const error = await client.stream(project, reply.id, { offset: 2, delta: 'xy' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StaleOffsetError);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ status: 409, currentLength: 6 });
  });
});

describe('watchConversation with streamed replies', () => {
  const stores: ConversationStore[] = [];
  afterEach(() => stores.splice(0).forEach((store) => store.close()));

  /** Every content the store showed for the message, in order, deduplicated. */
  async function watchReply(project: string, through: ConversationClient) {
    const store = watchConversation(through, project);
    stores.push(store);
    await store.ready;
    const shown: string[] = [];
    return {
      store,
      shown,
      follow(id: string) {
        store.subscribe(() => {
          const content = store.getSnapshot().find((m) => m.id === id)?.content;
          if (content !== undefined && content !== shown.at(-1)) shown.push(content);
        });
      },
    };
  }

  /** Streams `pieces` one after the other, then completes without content: the streamed text stands. */
  async function streamReply(project: string, id: string, pieces: readonly string[], pauseMs: number) {
    let offset = 0;
    for (const delta of pieces) {
      offset = (await client.stream(project, id, { offset, delta })).length;
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
    return client.complete(project, id, {});
  }

  const PIECES = Array.from({ length: 60 }, (_, n) => ` t${n}`);

  it('shows the reply growing piece by piece and ends with exactly the stored message', async () => {
    const project = projectId('cw');
    const watcher = await watchReply(project, client);
    const reply = await client.reserveAssistant(project, { content: '' });
    watcher.follow(reply.id);
    const done = await streamReply(project, reply.id, PIECES, 5);
    expect(done).toMatchObject({ status: 'success', content: PIECES.join('') });
    await until(() => watcher.store.getSnapshot().some((m) => m.id === reply.id && m.status === 'success'));
    expect(watcher.store.getSnapshot().find((m) => m.id === reply.id)).toEqual(
      await client.message(project, reply.id),
    );
    // Growing: many contents seen, each a prefix of the final one, each longer than the one before.
    expect(watcher.shown.length).toBeGreaterThan(PIECES.length / 2);
    watcher.shown.forEach((content, i) => {
      expect(done.content.startsWith(content)).toBe(true);
      if (i > 0) expect(content.length).toBeGreaterThan(watcher.shown[i - 1]!.length);
    });
  });

  it('its connection cut again and again mid-reply, it never shows wrong text and ends with the stored message', async () => {
    const project = projectId('cw');
    const viaProxy = new ConversationClient({ baseUrl: proxy.baseUrl });
    const watchers = await Promise.all([watchReply(project, viaProxy), watchReply(project, viaProxy)]);
    const reply = await client.reserveAssistant(project, { content: '' });
    watchers.forEach((watcher) => watcher.follow(reply.id));
    let cuts = 0;
    const cutter = setInterval(() => (cuts += proxy.cutAll()), 40);
    let done;
    try {
      done = await streamReply(project, reply.id, PIECES, 5);
    } finally {
      clearInterval(cutter);
    }
    const stored = await client.message(project, reply.id);
    for (const watcher of watchers) {
      await until(() => watcher.store.getSnapshot().some((m) => m.id === reply.id && m.status === 'success'));
      expect(watcher.store.getSnapshot().find((m) => m.id === reply.id)).toEqual(stored);
      expect(watcher.shown.every((content) => done.content.startsWith(content))).toBe(true);
    }
    expect(stored.content).toBe(PIECES.join(''));
    expect(cuts).toBeGreaterThan(2);
  });

  it('a piece lost on the way is not guessed at: the store reads the message and shows exactly the stored content', async () => {
    const project = projectId('cg');
    // The third piece of the reply never reaches the watcher; the pieces after it do.
    const proxy = await droppingProxy(service.port, (delta) => delta.offset === PIECES[0]!.length * 2);
    try {
      const watcher = await watchReply(project, new ConversationClient({ baseUrl: proxy.baseUrl }));
      const reply = await client.reserveAssistant(project, { content: '' });
      watcher.follow(reply.id);
      let offset = 0;
      for (const delta of PIECES.slice(0, 10))
        offset = (await client.stream(project, reply.id, { offset, delta })).length;
      // Not completed: only a read brings the pieces after the gap, no later whole message does.
      const stored = await client.message(project, reply.id);
      expect(stored).toMatchObject({ status: 'pending', content: PIECES.slice(0, 10).join('') });
      await until(
        () => watcher.store.getSnapshot().find((m) => m.id === reply.id)?.content === stored.content,
      );
      expect(watcher.store.getSnapshot().find((m) => m.id === reply.id)).toEqual(stored);
      expect(proxy.dropped()).toHaveLength(1);
      const reads = proxy
        .requests()
        .filter((path) => path.startsWith(`/v1/projects/${project}/messages/${reply.id}?`));
      expect(reads.length).toBeGreaterThanOrEqual(1);
      expect(reads[0]).toContain('minRevision=');
      // Never wrong text meanwhile: everything shown is a beginning of the stored content.
      expect(watcher.shown.every((content) => stored.content.startsWith(content))).toBe(true);
    } finally {
      await proxy.close();
    }
  });
});
