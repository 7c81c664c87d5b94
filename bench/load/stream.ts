/**
 * The stream-many scenario's load generator, its own process: producers of streamed replies over
 * HTTP. Each reply is one project: reserve an assistant message, then POST its deltas one after
 * the other with the offsets they must carry. Two kinds of job: `flat-out` (every reply at once,
 * each producer as fast as its answers come) and `paced` (a fixed rate of deltas spread
 * round-robin over the replies, each acknowledgement recorded on the machine's monotonic clock so
 * that the parent can compare it with when a live reader saw the delta). One job in, one summary out.
 */
import http from 'node:http';
import { keepAliveAgent, parseJson, request } from '../support/http.js';
import { answerOneJob, monotonicMs } from '../support/processes.js';
import { percentile } from '../support/stats.js';

export interface StreamJob {
  mode: 'flat-out' | 'paced';
  baseUrl: string;
  /** Reply r streams in project `${project}-${r}`. */
  project: string;
  replies: number;
  /** flat-out: deltas per reply. */
  deltas: number;
  /** paced: deltas per second over all replies, and for how long. */
  rate: number;
  durationSec: number;
  /** The Authorization header of every request, when the service reads one. */
  authorization?: string;
}

/** A 200 of the paced job: which piece it acknowledged and when (monotonicMs). */
export interface StreamAck {
  id: string;
  offset: number;
  ackAt: number;
}

export interface StreamSummary {
  /** The reserved messages, by reply index (the parent checks their content). */
  ids: string[];
  deltas: number;
  elapsedMs: number;
  statuses: Record<string, number>;
  errors: number;
  firstError?: string;
  p50Ms?: number;
  p99Ms?: number;
  acks: StreamAck[];
  /** paced: how late a delta left at worst (its reply's previous one still unanswered, or the scheduler). */
  maxSlipMs: number;
}

/** Four characters a delta: what a token of a model's reply is on average. */
export const DELTA = 'abcd';

class Producer {
  readonly agent: http.Agent = keepAliveAgent();
  length = 0;

  constructor(
    readonly url: string,
    readonly id: string,
    readonly authorization: string | undefined,
  ) {}

  /** POSTs the next delta; true when it was appended. */
  async send(summary: StreamSummary, latencies: number[]): Promise<boolean> {
    const begin = monotonicMs();
    try {
      const { status } = await request(`${this.url}/stream`, {
        method: 'POST',
        json: { offset: this.length, delta: DELTA },
        agent: this.agent,
        authorization: this.authorization,
      });
      summary.statuses[status] = (summary.statuses[status] ?? 0) + 1;
      latencies.push(monotonicMs() - begin);
      if (status !== 200) return false;
      this.length += DELTA.length;
      return true;
    } catch (error) {
      summary.errors++;
      summary.firstError ??= error instanceof Error ? error.message : String(error);
      return false;
    }
  }
}

async function reserve(job: StreamJob, reply: number): Promise<Producer> {
  const base = `${job.baseUrl}/v1/projects/${job.project}-${reply}/assistant-messages`;
  const { status, body } = await request(base, {
    method: 'POST',
    json: { content: '' },
    authorization: job.authorization,
  });
  const id = parseJson<{ id: string }>(body)?.id;
  if (status !== 201 || !id) throw new Error(`reserve answered ${status}: ${body.slice(0, 200)}`);
  return new Producer(`${base}/${id}`, id, job.authorization);
}

function emptySummary(producers: readonly Producer[]): StreamSummary {
  return {
    ids: producers.map((producer) => producer.id),
    deltas: 0,
    elapsedMs: 0,
    statuses: {},
    errors: 0,
    acks: [],
    maxSlipMs: 0,
  };
}

/** Every producer at once, each sending its next delta as soon as the previous one is answered. */
async function flatOut(job: StreamJob, producers: readonly Producer[]): Promise<StreamSummary> {
  const summary = emptySummary(producers);
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    producers.map(async (producer) => {
      for (let i = 0; i < job.deltas; i++) if (await producer.send(summary, latencies)) summary.deltas++;
    }),
  );
  summary.elapsedMs = performance.now() - started;
  summary.p50Ms = percentile(latencies, 50);
  summary.p99Ms = percentile(latencies, 99);
  return summary;
}

/**
 * Open loop per reply: delta n of a reply leaves at its scheduled time, or when that reply's
 * previous delta is answered if that is later (its offset depends on it); the slip says how
 * often that happened.
 */
async function paced(job: StreamJob, producers: readonly Producer[]): Promise<StreamSummary> {
  const summary = emptySummary(producers);
  const latencies: number[] = [];
  const total = Math.round(job.rate * job.durationSec);
  const perReply = Math.ceil(total / producers.length);
  const started = performance.now();
  await Promise.all(
    producers.map(async (producer, reply) => {
      for (let n = 0; n < perReply; n++) {
        const index = n * producers.length + reply;
        if (index >= total) return;
        const scheduled = (index / job.rate) * 1000;
        const wait = scheduled - (performance.now() - started);
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        summary.maxSlipMs = Math.max(summary.maxSlipMs, performance.now() - started - scheduled);
        const offset = producer.length;
        if (!(await producer.send(summary, latencies))) continue;
        summary.deltas++;
        summary.acks.push({ id: producer.id, offset, ackAt: monotonicMs() });
      }
    }),
  );
  summary.elapsedMs = performance.now() - started;
  summary.p50Ms = percentile(latencies, 50);
  summary.p99Ms = percentile(latencies, 99);
  return summary;
}

async function run(job: StreamJob): Promise<StreamSummary> {
  const target = new URL(job.baseUrl);
  if (target.hostname !== '127.0.0.1') throw new Error(`load only targets 127.0.0.1, not ${target.hostname}`);
  const producers = await Promise.all(Array.from({ length: job.replies }, (_, reply) => reserve(job, reply)));
  try {
    return await (job.mode === 'flat-out' ? flatOut(job, producers) : paced(job, producers));
  } finally {
    for (const producer of producers) producer.agent.destroy();
  }
}

answerOneJob('stream load', run);
