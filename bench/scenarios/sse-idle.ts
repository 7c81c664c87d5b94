import { type ChildProcess, fork } from 'node:child_process';
import { request } from '../support/http.js';
import type { SseJob, SseOpened, SseReport } from '../load/sse-holder.js';
import { benchFile, delay, rssMb, stopChild, track } from '../support/processes.js';
import { type Bench, type BenchResult, skipped } from '../support/types.js';
import { type RunningService, startService } from '../support/service.js';
import { readServiceMetrics } from '../support/service-metrics.js';

/** Subscriptions opened and closed first: they load the route's code and answer whether it exists. */
const WARMUP_SUBSCRIBERS = 20;
/** After the subscriptions are established, before RSS is read: lets allocations settle. */
const SETTLE_MS = 1_500;
const OPEN_LIMIT_MS = 90_000;

/** After RSS is read: messages posted to this many subscribed projects, each must reach its stream. */
const PROBED = 10;

/**
 * Proves the subscriptions live: one message to each of the first PROBED projects; each of
 * their streams must deliver message.created for revision 0, and no other stream anything.
 */
async function probe(
  service: RunningService,
  project: string,
  holder: SseHolder,
  count: number,
): Promise<string> {
  const probed = Math.min(PROBED, count);
  for (let i = 0; i < probed; i++) {
    const { status } = await request(`${service.baseUrl}/v1/projects/${project}-${i}/messages`, {
      method: 'POST',
      json: { content: 'sse probe' },
      authorization: service.authorization,
    });
    if (status !== 201) return `POST answered ${status}`;
  }
  const deadline = performance.now() + 5_000;
  let created: number[] = [];
  while (performance.now() < deadline) {
    ({ created } = await holder.report());
    if (created.length >= probed) break;
    await delay(50);
  }
  const wrong = created.filter((index) => index >= probed).length;
  if (created.length - wrong === probed && wrong === 0) return '';
  return `${created.length - wrong} of ${probed} probed streams delivered message.created, ${wrong} others did`;
}

/** A load process holding SSE subscriptions open (bench/load/sse-holder.ts). */
class SseHolder {
  private readonly child: ChildProcess = track(
    fork(benchFile('./load/sse-holder.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );

  open(job: SseJob): Promise<SseOpened> {
    return this.reply<SseOpened>(job, OPEN_LIMIT_MS);
  }

  report(): Promise<SseReport> {
    return this.reply<SseReport>('report', 10_000);
  }

  async close(): Promise<void> {
    await this.reply('close', 10_000).catch(() => undefined);
    await stopChild(this.child);
  }

  private reply<T>(message: SseJob | 'report' | 'close', limitMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sse holder: no answer in ${limitMs} ms`)), limitMs);
      const exited = (code: number | null): void => {
        clearTimeout(timer);
        reject(new Error(`sse holder exited (${code}) before answering`));
      };
      this.child.once('exit', exited);
      this.child.once('message', (answer) => {
        clearTimeout(timer);
        this.child.off('exit', exited);
        resolve(answer as T);
      });
      this.child.send(message);
    });
  }
}

/**
 * What one idle live stream costs the service: its share of the RSS growth, and of the heap's
 * (informational: the heap is read without a forced GC, so it moves by what is not yet collected).
 */
function perStreamResult(
  streams: number,
  rssDeltaMb: number,
  heapBefore: number | undefined,
  heapAfter: number | undefined,
): BenchResult | undefined {
  if (streams === 0) return undefined;
  const extra: BenchResult['extra'] = { streams };
  if (heapBefore !== undefined && heapAfter !== undefined)
    extra.heapUsedBytesPerStream = Math.round((heapAfter - heapBefore) / streams);
  return {
    id: 'sse-idle-stream',
    name: 'sse-idle: one idle live stream',
    what: 'the RSS growth of sse-idle divided by its established streams; the heap used (nodejs_heap_size_used_bytes from /metrics) likewise',
    bytes: Math.round((rssDeltaMb * 1024 * 1024) / streams),
    unit: 'bytes/stream',
    extra,
  };
}

export const sseIdle: Bench = {
  name: 'sse-idle',
  async run(context): Promise<BenchResult[]> {
    const { sseSubscribers } = context.options;
    const what = `service RSS (/proc/<pid>/status VmRSS) before and after ${sseSubscribers} idle GET /v1/projects/{p}/live subscriptions (one project each, held open by a child process)`;
    // Every subscriber comes from this one address: lift the per-client cap above them.
    const service = await startService(context, 'sse-idle', {
      env: { LIVE_STREAMS_PER_CLIENT: String(sseSubscribers + WARMUP_SUBSCRIBERS) },
    });
    if (typeof service === 'string') return [skipped('sse-idle', 'sse-idle', what, service)];
    const run = Date.now().toString(36);
    const subscriber = { baseUrl: service.baseUrl, authorization: service.authorization };
    try {
      const warm = new SseHolder();
      const warmed = await warm
        .open({ ...subscriber, project: `sse-warm-${run}`, count: WARMUP_SUBSCRIBERS })
        .finally(() => warm.close());
      if (warmed.established === 0)
        return [
          skipped(
            'sse-idle',
            'sse-idle',
            what,
            `skipped: GET /v1/projects/{p}/live does not answer text/event-stream yet (${warmed.firstFailure ?? 'no answer'})`,
          ),
        ];
      await delay(SETTLE_MS);
      const before = await rssMb(service.pid);
      const heapBefore = (await readServiceMetrics(service.baseUrl)).heapUsedBytes;

      const holder = new SseHolder();
      try {
        const project = `sse-${run}`;
        const opened = await holder.open({ ...subscriber, project, count: sseSubscribers });
        await delay(SETTLE_MS);
        const after = await rssMb(service.pid);
        const heapAfter = (await readServiceMetrics(service.baseUrl)).heapUsedBytes;
        const delta = after - before;
        const probeFailure = await probe(service, project, holder, opened.established);
        const extra: BenchResult['extra'] = {
          established: opened.established,
          openMs: Math.round(opened.openMs),
          rssBeforeMb: Number(before.toFixed(1)),
          rssAfterMb: Number(after.toFixed(1)),
          perSubscriptionKb: Number(((delta * 1024) / Math.max(1, opened.established)).toFixed(1)),
        };
        if (opened.failed > 0) extra.failed = `${opened.failed} (${opened.firstFailure ?? ''})`;
        const died = service.died();
        if (died) extra.serviceDied = died;
        if (probeFailure) extra.probe = probeFailure;
        const ok = opened.established === sseSubscribers && !died && !probeFailure;
        const perStream = perStreamResult(opened.established, delta, heapBefore, heapAfter);
        return [
          {
            id: 'sse-idle',
            name: `sse-idle ×${sseSubscribers} (RSS growth)`,
            what,
            mb: delta,
            extra,
            check: {
              ok,
              detail: ok
                ? `ok: ${sseSubscribers} established; ${PROBED} probed streams each delivered their message`
                : `FAILED: ${opened.established} of ${sseSubscribers} established${probeFailure ? `; ${probeFailure}` : ''}`,
            },
          },
          ...(perStream ? [perStream] : []),
        ];
      } finally {
        await holder.close();
      }
    } finally {
      await service.stop();
    }
  },
};
