import { Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { loadConfig } from '../../config/config.js';
import { type AppendsListener, type EventStore } from '../../event-store/event-store.port.js';
import { HEARTBEAT_FRAME, type SseSink } from './live-subscriber.js';
import { LiveService } from './live.service.js';
import { type Change, type ChangeSource } from './message-changes.js';
import { type ErasedProjects } from '../../erasure/erased-projects.js';

/** The store's append watch: `notify` reports stream names, one per line, or "*". */
class FakeWatch {
  readonly listeners = new Set<AppendsListener>();
  watchAppends(listener: AppendsListener): { close(): void } {
    this.listeners.add(listener);
    return { close: () => this.listeners.delete(listener) };
  }
  notify(payload: string): void {
    for (const listener of this.listeners) listener(payload === '*' ? '*' : payload.split('\n'));
  }
}

class FakeLog implements ChangeSource {
  readonly streams = new Map<string, Change[]>();
  readonly reads: Array<{ projectId: string; from: number; max: number }> = [];
  failures = 0;

  append(projectId: string, count: number): void {
    const stream = this.streams.get(projectId) ?? [];
    for (let i = 0; i < count; i++)
      stream.push({ revision: stream.length, frame: `id: ${stream.length}\n\n` });
    this.streams.set(projectId, stream);
  }

  async read(projectId: string, from: number, max: number): Promise<Change[]> {
    this.reads.push({ projectId, from, max });
    await Promise.resolve();
    if (this.failures > 0) {
      this.failures--;
      throw new Error('database unavailable');
    }
    return (this.streams.get(projectId) ?? []).slice(from, from + max);
  }
}

class FakeSink extends EventEmitter implements SseSink {
  readonly chunks: string[] = [];
  full = false;
  destroyed = false;
  writableEnded = false;

  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return !this.full;
  }
  end(): void {
    this.writableEnded = true;
  }
  ids(): number[] {
    return this.chunks.filter((c) => c.startsWith('id: ')).map((c) => Number(/^id: (\d+)/.exec(c)?.[1]));
  }
  heartbeats(): number {
    return this.chunks.filter((c) => c === HEARTBEAT_FRAME).length;
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const settle = async () => {
  for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let hub: FakeWatch;
let log: FakeLog;
let service: LiveService;

/** Subscribes as the controller does: with the stream's revision at that moment. */
function subscribe(projectId: string, after: number, sink: FakeSink): () => void {
  return service.subscribe(projectId, after, (log.streams.get(projectId)?.length ?? 0) - 1, sink);
}

function createService(heartbeatMs = 60_000): LiveService {
  const store = {
    streamRevision: async () => -1n,
    watchAppends: (listener: AppendsListener) => hub.watchAppends(listener),
  } as unknown as EventStore;
  const noErasures = {
    onErased: () => () => undefined,
    isKnownErased: () => false,
  } as unknown as ErasedProjects;
  return new LiveService(log, store, { sseHeartbeatMs: heartbeatMs }, noErasures);
}

const errors: string[] = [];
beforeAll(() =>
  Logger.overrideLogger({
    log: () => undefined,
    warn: () => undefined,
    error: (message: unknown) => errors.push(String(message)),
  }),
);
beforeEach(() => {
  errors.length = 0;
  hub = new FakeWatch();
  log = new FakeLog();
  service = createService();
});
afterEach(() => service.beforeApplicationShutdown());

describe('LiveService', () => {
  it('reads what a notification announces once, for every subscriber of the project', async () => {
    const sinks = Array.from({ length: 50 }, () => new FakeSink());
    for (const sink of sinks) subscribe('p', -1, sink);
    await settle();
    log.reads.length = 0;

    log.append('p', 3);
    hub.notify('conversation-p');
    await settle();

    expect(log.reads).toEqual([{ projectId: 'p', from: 0, max: 500 }]);
    for (const sink of sinks) expect(sink.ids()).toEqual([0, 1, 2]);
  });

  it('ignores notifications of other streams and wakes every channel on "*"', async () => {
    const p = new FakeSink();
    const q = new FakeSink();
    subscribe('p', -1, p);
    subscribe('q', -1, q);
    await settle();
    log.append('p', 1);
    log.append('q', 1);
    hub.notify('conversation-other');
    hub.notify('projection-p');
    await settle();
    expect([p.ids(), q.ids()]).toEqual([[], []]);
    hub.notify('*');
    await settle();
    expect([p.ids(), q.ids()]).toEqual([[0], [0]]);
  });

  it('wakes each project named in a notification that lists several streams', async () => {
    const p = new FakeSink();
    const q = new FakeSink();
    subscribe('p', -1, p);
    subscribe('q', -1, q);
    await settle();
    log.append('p', 1);
    log.append('q', 2);
    hub.notify('conversation-x\nconversation-p\nconversation-q');
    await settle();
    expect([p.ids(), q.ids()]).toEqual([[0], [0, 1]]);
  });

  it('pages a backlog and hands over to live changes without a gap or a duplicate', async () => {
    log.append('p', 1200);
    const live = new FakeSink();
    subscribe('p', 1199, live);
    await settle();
    const late = new FakeSink();
    subscribe('p', 99, late);
    log.append('p', 10);
    hub.notify('conversation-p');
    await settle();
    log.append('p', 5);
    hub.notify('conversation-p');
    await settle();

    expect(late.ids()).toEqual(range(100, 1214));
    expect(live.ids()).toEqual(range(1200, 1214));
    expect(Math.max(...log.reads.map((read) => read.max))).toBeLessThanOrEqual(500);
  });

  it('lets a client resume beyond the end of the stream without holding the others back', async () => {
    const ahead = new FakeSink();
    const other = new FakeSink();
    subscribe('p', 1000, ahead);
    subscribe('p', -1, other);
    await settle();
    log.append('p', 2);
    hub.notify('conversation-p');
    await settle();
    log.append('p', 1);
    hub.notify('conversation-p');
    await settle();
    expect(other.ids()).toEqual([0, 1, 2]);
    expect(ahead.ids()).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('stops writing to a full socket until it drains, then catches up from the log', async () => {
    const slow = new FakeSink();
    const fast = new FakeSink();
    subscribe('p', -1, slow);
    subscribe('p', -1, fast);
    await settle();
    slow.full = true;
    log.append('p', 3);
    hub.notify('conversation-p');
    await settle();
    expect(slow.ids()).toEqual([0]);

    log.append('p', 3);
    hub.notify('conversation-p');
    await settle();
    expect(slow.ids()).toEqual([0]);
    expect(fast.ids()).toEqual(range(0, 5));

    slow.full = false;
    slow.emit('drain');
    await settle();
    expect(slow.ids()).toEqual(range(0, 5));
  });

  it('removes subscribers, drops empty channels and stops their heartbeats', async () => {
    service.beforeApplicationShutdown();
    service = createService(10);
    const sinks = [new FakeSink(), new FakeSink(), new FakeSink()];
    const unsubscribe = [
      subscribe('p', -1, sinks[0] as FakeSink),
      subscribe('p', -1, sinks[1] as FakeSink),
      subscribe('q', -1, sinks[2] as FakeSink),
    ];
    expect(service.stats()).toEqual({ channels: 2, subscribers: 3 });
    await sleep(50);
    for (const sink of sinks) expect(sink.heartbeats()).toBeGreaterThanOrEqual(2);

    unsubscribe[0]?.();
    unsubscribe[0]?.();
    expect(service.stats()).toEqual({ channels: 2, subscribers: 2 });
    unsubscribe[1]?.();
    unsubscribe[2]?.();
    expect(service.stats()).toEqual({ channels: 0, subscribers: 0 });

    const counts = sinks.map((sink) => sink.chunks.length);
    const reads = log.reads.length;
    await sleep(50);
    expect(sinks.map((sink) => sink.chunks.length)).toEqual(counts);
    log.append('p', 1);
    hub.notify('conversation-p');
    await settle();
    expect(log.reads.length).toBe(reads);
  });

  it('retries a failed read, keeping its subscribers', async () => {
    const sink = new FakeSink();
    subscribe('p', -1, sink);
    await settle();
    log.failures = 1;
    log.append('p', 2);
    hub.notify('conversation-p');
    await settle();
    expect(sink.ids()).toEqual([]);
    expect(errors).toEqual([expect.stringContaining('database unavailable')]);
    await sleep(700);
    expect(sink.ids()).toEqual([0, 1]);
  });

  it('ends every stream at shutdown and accepts none after', () => {
    const sink = new FakeSink();
    subscribe('p', -1, sink);
    service.beforeApplicationShutdown();
    expect(sink.writableEnded).toBe(true);
    expect(service.stats()).toEqual({ channels: 0, subscribers: 0 });
    const late = new FakeSink();
    subscribe('p', -1, late);
    expect(late.writableEnded).toBe(true);
    expect(hub.listeners.size).toBe(0);
  });
});

describe('SSE_HEARTBEAT_MS', () => {
  it('defaults to 15 s and is read from the environment', () => {
    expect(loadConfig({}).sseHeartbeatMs).toBe(15_000);
    expect(loadConfig({ SSE_HEARTBEAT_MS: '200' }).sseHeartbeatMs).toBe(200);
  });

  it.each(['0', '15001', 'abc'])('rejects %s, naming the variable', (value) => {
    expect(() => loadConfig({ SSE_HEARTBEAT_MS: value })).toThrow(/SSE_HEARTBEAT_MS:/);
  });
});
