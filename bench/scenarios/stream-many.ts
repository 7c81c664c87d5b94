import { SseParser } from '../../client/src/sse-parser.js';
import { DELTA, type StreamJob, type StreamSummary } from '../load/stream.js';
import { parseJson, request } from '../support/http.js';
import { delay, monotonicMs, runChildJob } from '../support/processes.js';
import { lagsAfterAck, percentile } from '../support/stats.js';
import { type Bench, type BenchContext, type BenchResult, skipped } from '../support/types.js';
import { type RunningService, startService } from '../support/service.js';

/** After the last delta, how long an acknowledged one may take to reach its reader before it counts as lost. */
const SETTLE_MS = 5_000;
/** Replies streamed, a few deltas each, before anything is measured: the service warm. */
const WARMUP_DELTAS = 50;

function runStream(job: StreamJob): Promise<StreamSummary> {
  return runChildJob<StreamSummary>('./load/stream.js', job, job.durationSec * 1000 + 120_000);
}

/** Live readers, one per project, noting when each (message, offset) arrived as `message.delta`. */
class DeltaReaders {
  private readonly seen = new Map<string, number>();
  private readonly abort = new AbortController();

  /** Resolves once every stream has answered, so that no delta is sent before its reader listens. */
  async open(service: RunningService, projects: readonly string[]): Promise<void> {
    const live = (project: string): string => `${service.baseUrl}/v1/projects/${project}/live`;
    await Promise.all(projects.map((project) => this.read(live(project), service.authorization)));
  }

  seenAt(id: string, offset: number): number | undefined {
    return this.seen.get(`${id}@${offset}`);
  }

  close(): void {
    this.abort.abort();
  }

  private async read(url: string, authorization: string | undefined): Promise<void> {
    const response = await fetch(url, {
      headers: { accept: 'text/event-stream', ...(authorization ? { authorization } : {}) },
      signal: this.abort.signal,
    });
    if (!response.ok || !response.body) throw new Error(`live answered ${response.status}`);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser();
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        const at = monotonicMs();
        for (const item of parser.push(value)) {
          if (item.kind !== 'event' || item.event !== 'message.delta') continue;
          const delta = parseJson<{ id: string; offset: number }>(item.data);
          if (delta) this.seen.set(`${delta.id}@${delta.offset}`, at);
        }
      }
    })().catch(() => undefined);
  }
}

/** The replies' contents as the service stores them, against what was streamed into each. */
async function wrongContents(
  service: RunningService,
  project: string,
  summary: StreamSummary,
  deltas: number,
) {
  const expected = DELTA.repeat(deltas);
  let wrong = 0;
  // Each reply is its own project: its reservation is revision 0 and its last piece revision `deltas`,
  // which the read is asked to wait for (the read model follows the log a moment later).
  for (const [reply, id] of summary.ids.entries()) {
    const path = `/v1/projects/${project}-${reply}/messages/${id}?minRevision=${deltas}`;
    const { body } = await request(`${service.baseUrl}${path}`, { authorization: service.authorization });
    if (parseJson<{ content: string }>(body)?.content !== expected) wrong++;
  }
  return wrong;
}

function statusExtra(summary: StreamSummary, service: RunningService): BenchResult['extra'] {
  const extra: BenchResult['extra'] = {};
  const failures = Object.entries(summary.statuses).filter(([status]) => status !== '200');
  if (failures.length > 0) extra.statuses = failures.map(([code, count]) => `${code}×${count}`).join(' ');
  if (summary.errors > 0) extra.errors = `${summary.errors} (${summary.firstError ?? ''})`;
  const died = service.died();
  if (died) extra.serviceDied = died;
  return extra;
}

/** Every reply at once, each producer as fast as its answers come: deltas/s. */
async function throughput(context: BenchContext, service: RunningService): Promise<BenchResult> {
  const { streamReplies: replies, streamDeltas: deltas } = context.options;
  const prefix = `stream-many-${Date.now().toString(36)}`;
  const job = {
    baseUrl: service.baseUrl,
    authorization: service.authorization,
    replies,
    rate: 0,
    durationSec: 0,
    mode: 'flat-out',
  } as const;
  await runStream({ ...job, project: `${prefix}-warmup`, deltas: Math.min(deltas, WARMUP_DELTAS) });
  const summary = await runStream({ ...job, project: prefix, deltas });
  const wrong = await wrongContents(service, prefix, summary, deltas);
  const ok = summary.deltas === replies * deltas && wrong === 0;
  return {
    id: 'stream-many',
    name: `stream-many (HTTP) ×${replies}`,
    what: `${replies} replies streamed at once, one project each: reserve, then ${deltas} POST …/stream of ${DELTA.length} characters each, sequential per reply (child process)`,
    unit: 'deltas/s',
    rate: summary.deltas / (summary.elapsedMs / 1000),
    p50Ms: summary.p50Ms,
    p99Ms: summary.p99Ms,
    extra: { deltas: summary.deltas, ...statusExtra(summary, service) },
    check: {
      ok,
      detail: ok
        ? 'ok: every delta appended, every reply stored exactly as streamed'
        : `FAILED: ${summary.deltas} of ${replies * deltas} appended, ${wrong} replies stored wrong`,
    },
  };
}

/** Deltas at a fixed rate, a live reader on every reply's project: time from each 200 to its `message.delta`. */
async function streamLag(context: BenchContext, service: RunningService): Promise<BenchResult> {
  const { lagRate: rate, streamReplies: replies, durationSec, warmupSec } = context.options;
  const prefix = `stream-lag-${Date.now().toString(36)}`;
  const job = {
    baseUrl: service.baseUrl,
    authorization: service.authorization,
    replies,
    deltas: 0,
    mode: 'paced',
    rate,
  } as const;
  if (warmupSec > 0) await runStream({ ...job, project: `${prefix}-warmup`, durationSec: warmupSec });
  const readers = new DeltaReaders();
  try {
    await readers.open(
      service,
      Array.from({ length: replies }, (_, reply) => `${prefix}-${reply}`),
    );
    const summary = await runStream({ ...job, project: prefix, durationSec });
    const deadline = performance.now() + SETTLE_MS;
    const unseen = () => summary.acks.filter((ack) => readers.seenAt(ack.id, ack.offset) === undefined);
    while (performance.now() < deadline && unseen().length > 0) await delay(50);

    const {
      lags,
      beforeAck,
      unseen: missed,
    } = lagsAfterAck(summary.acks, (ack) => readers.seenAt(ack.id, ack.offset));
    const ok = summary.acks.length > 0 && missed === 0 && summary.errors === 0;
    const extra: BenchResult['extra'] = {
      deltas: summary.acks.length,
      maxMs: Number((lags.length ? Math.max(...lags) : 0).toFixed(1)),
      seenBefore200: beforeAck,
      commandP50Ms: Number((summary.p50Ms ?? 0).toFixed(2)),
      commandP99Ms: Number((summary.p99Ms ?? 0).toFixed(2)),
      maxSlipMs: Number(summary.maxSlipMs.toFixed(1)),
      ...statusExtra(summary, service),
    };
    if (missed > 0) extra.notSeenAfter5s = missed;
    return {
      id: 'stream-lag',
      name: `stream-lag @ ${rate}/s`,
      what: `${rate} POST …/stream per s, paced over ${replies} replies (child process), a live reader on each; time from each 200 to its message.delta on /live`,
      unit: 'deltas/s',
      rate: summary.acks.length / durationSec,
      p50Ms: percentile(lags, 50),
      p99Ms: percentile(lags, 99),
      extra,
      check: {
        ok,
        detail: ok
          ? 'ok: every acknowledged delta reached its live reader'
          : `FAILED: ${missed} not seen, ${summary.errors} errors`,
      },
    };
  } finally {
    readers.close();
  }
}

/** Streamed replies: their rate flat out, and their lag to a live reader at a paced rate. */
export const streamMany: Bench = {
  name: 'stream-many',
  async run(context): Promise<BenchResult[]> {
    // The live readers of the lag phase, one per reply, all come from this one address.
    const service = await startService(context, 'stream-many', {
      env: { LIVE_STREAMS_PER_CLIENT: String(context.options.streamReplies) },
    });
    if (typeof service === 'string') {
      return [
        skipped('stream-many', 'stream-many', 'streamed replies', service),
        skipped('stream-lag', 'stream-lag', 'streamed replies, lag', service),
      ];
    }
    try {
      return [await throughput(context, service), await streamLag(context, service)];
    } finally {
      await service.stop();
    }
  },
};
