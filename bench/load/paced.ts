/**
 * The lag scenario's load generator, its own process: POST /messages at a fixed rate, open loop
 * (each command leaves at its scheduled time whether or not earlier ones were answered), spread
 * round-robin over many projects. Records when each 201 arrived on the machine's monotonic clock,
 * which the parent compares with when the change became visible. One job in, one summary out.
 */
import http from 'node:http';
import { request } from '../support/http.js';
import { answerOneJob, monotonicMs } from '../support/processes.js';
import { percentile } from '../support/stats.js';

export interface PacedJob {
  baseUrl: string;
  rate: number;
  warmupSec: number;
  durationSec: number;
  /** Projects are `${project}-${i}` for i below `projects`. */
  project: string;
  projects: number;
  /** The Authorization header of every command, when the service reads one. */
  authorization?: string;
}

/** A 201 of the measured phase: the revision it acknowledged and when (monotonicMs). */
export interface PacedAck {
  project: string;
  revision: number;
  ackAt: number;
}

export interface PacedSummary {
  acks: PacedAck[];
  sent: number;
  statuses: Record<string, number>;
  errors: number;
  firstError?: string;
  /** Command latencies (send → 201) of the measured phase. */
  p50Ms?: number;
  p99Ms?: number;
  /** How late the scheduler sent a command at worst: above a few ms the pace was not kept. */
  maxSlipMs: number;
}

const ANSWER_WAIT_MS = 15_000;

async function run(job: PacedJob): Promise<PacedSummary> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const summary: PacedSummary = { acks: [], sent: 0, statuses: {}, errors: 0, maxSlipMs: 0 };
  const latencies: number[] = [];
  const warmup = Math.round(job.rate * job.warmupSec);
  const total = warmup + Math.round(job.rate * job.durationSec);
  const pending = new Set<Promise<void>>();

  const send = (index: number): void => {
    const project = `${job.project}-${index % job.projects}`;
    const begin = monotonicMs();
    const done = request(`${job.baseUrl}/v1/projects/${project}/messages`, {
      method: 'POST',
      json: { content: `lag probe ${index}` },
      agent,
      authorization: job.authorization,
    }).then(
      ({ status, headers, body }) => {
        const ackAt = monotonicMs();
        summary.statuses[status] = (summary.statuses[status] ?? 0) + 1;
        if (status !== 201 || index < warmup) return;
        const etag = /^"(\d+)"$/.exec(String(headers.etag ?? ''));
        const revision = etag ? Number(etag[1]) : Number((JSON.parse(body) as { sequence: number }).sequence);
        summary.acks.push({ project, revision, ackAt });
        latencies.push(ackAt - begin);
      },
      (error: unknown) => {
        summary.errors++;
        summary.firstError ??= error instanceof Error ? error.message : String(error);
      },
    );
    pending.add(done);
    void done.finally(() => pending.delete(done));
  };

  const started = performance.now();
  while (summary.sent < total) {
    const elapsed = performance.now() - started;
    const due = Math.min(total, Math.floor((elapsed / 1000) * job.rate) + 1);
    for (; summary.sent < due; summary.sent++) {
      const scheduled = (summary.sent / job.rate) * 1000;
      summary.maxSlipMs = Math.max(summary.maxSlipMs, elapsed - scheduled);
      send(summary.sent);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.race([
    Promise.allSettled([...pending]),
    new Promise((resolve) => setTimeout(resolve, ANSWER_WAIT_MS)),
  ]);
  agent.destroy();
  summary.p50Ms = percentile(latencies, 50);
  summary.p99Ms = percentile(latencies, 99);
  return summary;
}

answerOneJob('paced load', run);
