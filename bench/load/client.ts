import { fork } from 'node:child_process';
import { benchFile, stopChild, track } from '../support/processes.js';

/**
 * The load generator's protocol (a LoadJob in, a LoadSummary out, both over IPC as JSON) and
 * the parent's side of it.
 */

export type LoadKind =
  | 'raw-insert'
  | 'messages-many'
  /**
   * POST the same message (one id per connection) to the connection's project again and again:
   * a 201, then retries, each answered 200 from what the service knows, with nothing written.
   */
  | 'messages-retry'
  | 'messages-hot'
  | 'turns'
  /** GET the newest page (limit 50) of one project, over and over. */
  | 'history'
  /** POST one message to a new project each time. */
  | 'messages-distinct'
  /** GET `paths` in turn, each connection starting at a different one. */
  | 'paths';

export interface LoadJob {
  kind: LoadKind;
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  connections: number;
  durationSec: number;
  maxPerConnection: number;
  /** Project id, or the prefix of one project id per connection. */
  project: string;
  /** Requests in all, when set: the load ends after them (durationSec then only bounds the wait). */
  amount?: number;
  /** The paths the `paths` kind GETs. */
  paths?: readonly string[];
  /** Authorization header values: connection n sends the n-th (round robin) on every request. */
  authorization?: readonly string[];
}

/** A 201 the hot scenario received: the message it acknowledges. */
export interface Ack {
  id: string;
  client: number;
  counter: number;
  sequence: number;
}

export interface LoadSummary {
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSec: number;
  rate: number;
  p50Ms: number;
  p99Ms: number;
  statusCodes: Record<string, number>;
  acks: Ack[];
}

export function isLoadJob(value: unknown): value is LoadJob {
  const job = value as Partial<LoadJob> | null;
  return (
    typeof job === 'object' &&
    job !== null &&
    typeof job.kind === 'string' &&
    typeof job.baseUrl === 'string' &&
    typeof job.connections === 'number' &&
    typeof job.durationSec === 'number'
  );
}

/** Hot-scenario message content: who sent it and in what order, so the log can be checked. */
export function hotContent(client: number, counter: number): string {
  return `client ${client} message ${counter}`;
}

export function parseHotContent(content: unknown): { client: number; counter: number } | undefined {
  const match = typeof content === 'string' ? /^client (\d+) message (\d+)$/.exec(content) : null;
  return match ? { client: Number(match[1]), counter: Number(match[2]) } : undefined;
}

/**
 * Runs the job in a separate process (the load generator) and returns its summary, after
 * `warmupSec` of the same load on other projects, whose figures are dropped. `beforeMeasured`
 * runs between the two (e.g. to read the service's counters).
 */
export async function runLoad(
  job: LoadJob,
  warmupSec: number,
  beforeMeasured?: () => Promise<void>,
): Promise<LoadSummary> {
  // Reads change nothing, so they warm up on the very project they then measure.
  const reads = job.kind === 'history' || job.kind === 'paths';
  const warmupProject = reads ? job.project : `${job.project}-warmup`;
  if (warmupSec > 0) await runOnce({ ...job, durationSec: warmupSec, project: warmupProject });
  await beforeMeasured?.();
  return runOnce(job);
}

async function runOnce(job: LoadJob): Promise<LoadSummary> {
  const child = track(
    fork(benchFile('./load/worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  const limitMs = job.durationSec * 1000 + 30_000;
  try {
    return await new Promise<LoadSummary>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`load worker exceeded ${limitMs} ms`)), limitMs);
      child.once('message', (summary) => {
        clearTimeout(timer);
        resolve(summary as LoadSummary);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`load worker exited (${signal ?? code}) before reporting`));
      });
      child.send(job);
    });
  } finally {
    await stopChild(child);
  }
}
