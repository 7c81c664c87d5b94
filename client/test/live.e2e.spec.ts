import { createTestDatabase } from '../../test/support/database.js';
import { projectId, request } from '../../test/support/http.js';
import { type RunningService, startService } from '../../test/support/service.js';
import {
  ConversationClient,
  type LiveChange,
  type Message,
  watchConversation,
  type ConversationStore,
} from '../src/index.js';
import { cuttingProxy, type CuttingProxy } from './support/cutting-proxy.js';

let service: RunningService;
let proxy: CuttingProxy;
let client: ConversationClient;

beforeAll(async () => {
  const env = {
    DATABASE_URL: await createTestDatabase('client_live'),
    LIVE_STREAMS_PER_CLIENT: '1000',
    SSE_HEARTBEAT_MS: '200',
  };
  service = await startService(env);
  proxy = await cuttingProxy(service.port);
  client = new ConversationClient({ baseUrl: service.baseUrl });
});
afterAll(async () => {
  await proxy?.close();
  await service?.stop();
});

/** The server's whole conversation, oldest first. */
async function serverHistory(project: string): Promise<Message[]> {
  const pages: Message[][] = [];
  for await (const page of client.history(project, { limit: 200 })) pages.unshift(page.data);
  return pages.flat();
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function strictlyOrdered(messages: readonly Message[]): boolean {
  return messages.every((message, i) => i === 0 || messages[i - 1]!.sequence < message.sequence);
}

describe('live', () => {
  it('replays from a revision, then follows; an abort ends the iteration without an error', async () => {
    const project = projectId('live');
    const first = await client.postMessage(project, { content: 'before' });
    const abort = new AbortController();
    const seen: LiveChange[] = [];
    const reading = (async () => {
      for await (const change of client.live(project, { fromRevision: -1, signal: abort.signal })) {
        seen.push(change);
        if (seen.length === 2) abort.abort();
      }
    })();
    const second = await client.postMessage(project, { content: 'after' });
    await reading;
    expect(seen).toEqual([
      { type: 'message.created', revision: 0, message: first },
      { type: 'message.created', revision: 1, message: second },
    ]);
  });

  it('ends with project.erased when the project is erased', async () => {
    const project = projectId('live');
    await client.postMessage(project, { content: 'x' });
    const changes: string[] = [];
    const reading = (async () => {
      for await (const change of client.live(project, { fromRevision: -1 })) {
        changes.push(change.type);
        if (changes.length === 1) await request(service.baseUrl, 'DELETE', `/v1/projects/${project}`);
      }
    })();
    await reading;
    expect(changes).toEqual(['message.created', 'project.erased']);
  });
});

describe('watchConversation', () => {
  const stores: ConversationStore[] = [];
  afterEach(() => stores.splice(0).forEach((store) => store.close()));
  const watch = (project: string, through = client) => {
    const store = watchConversation(through, project);
    stores.push(store);
    return store;
  };

  it('shows an optimistic message at once and reconciles it with its server sequence', async () => {
    const project = projectId('watch');
    await client.postMessage(project, { content: 'earlier' });
    const store = watch(project);
    await store.ready;
    const snapshots: (readonly Message[])[] = [];
    store.subscribe(() => snapshots.push(store.getSnapshot()));
    const sending = store.postMessage({ content: 'mine' });
    expect(store.getSnapshot().map((m) => [m.content, m.optimistic ?? false])).toEqual([
      ['earlier', false],
      ['mine', true],
    ]);
    const sent = await sending;
    await until(() => store.getSnapshot().length === 2 && !store.getSnapshot()[1]!.optimistic);
    expect(store.getSnapshot()).toEqual([expect.objectContaining({ content: 'earlier' }), sent]);
    expect(sent.sequence).toBe(1);
    expect(snapshots.every((snapshot) => new Set(snapshot.map((m) => m.id)).size === snapshot.length)).toBe(
      true,
    );
  });

  it('SSE connections cut again and again during 32 concurrent writers: every watcher ends with the server’s history, in order', async () => {
    const project = projectId('watch');
    const viaProxy = new ConversationClient({ baseUrl: proxy.baseUrl });
    const watchers = [watch(project, viaProxy), watch(project, viaProxy), watch(project, viaProxy)];
    await Promise.all(watchers.map((store) => store.ready));
    let orderedThroughout = true;
    watchers.forEach((store) =>
      store.subscribe(() => {
        orderedThroughout &&= strictlyOrdered(store.getSnapshot());
      }),
    );
    let cuts = 0;
    const cutter = setInterval(() => (cuts += proxy.cutAll()), 50);
    try {
      await Promise.all(
        Array.from({ length: 32 }, async (_, writer) => {
          const own = new ConversationClient({ baseUrl: service.baseUrl });
          for (let n = 0; n < 5; n++) {
            const turn = await own.turn(project, { user: { content: `w${writer}-${n}` } });
            await own.complete(project, turn.assistant.id, { content: `re w${writer}-${n}` });
          }
        }),
      );
    } finally {
      clearInterval(cutter);
    }
    // The writers' own reads wait for their writes; this one waits for the read model to hold them all.
    let expected: Message[] = [];
    const complete = (messages: Message[]) =>
      messages.length === 320 && messages.every((message) => message.status !== 'pending');
    await until(async () => complete((expected = await serverHistory(project))));
    for (const store of watchers) {
      await until(() => store.getSnapshot().length === expected.length);
      expect(store.getSnapshot()).toEqual(expected);
    }
    expect(cuts).toBeGreaterThan(5);
    expect(orderedThroughout).toBe(true);
  });
});
