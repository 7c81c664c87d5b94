/**
 * The sse-idle scenario's client, its own process: opens `count` SSE subscriptions
 * (GET /v1/projects/{p}/live, one project each), reports once every one is established or has
 * failed, keeps them open and idle; on "report" says which of them have received a
 * `message.created` event for revision 0; on "close" closes them and exits.
 */
import http from 'node:http';

export interface SseJob {
  baseUrl: string;
  /** Projects are `${project}-${i}`. */
  project: string;
  count: number;
  /** The Authorization header of every subscription, when the service reads one. */
  authorization?: string;
}

/** The answer to "report": indexes of the subscriptions that received message.created @ 0. */
export interface SseReport {
  created: number[];
  received: number;
}

export interface SseOpened {
  established: number;
  failed: number;
  firstFailure?: string;
  openMs: number;
}

const IN_FLIGHT = 100;
const HEADERS_TIMEOUT_MS = 15_000;

interface Subscription {
  req: http.ClientRequest;
  index: number;
  /** Text not yet split into frames, until the first message.created arrived. */
  pending: string;
  created: boolean;
}

const open: Subscription[] = [];
let received = 0;

/** Reads SSE frames (blank-line separated `field: value` lines) until the first message.created. */
function read(subscription: Subscription, chunk: string): void {
  if (subscription.created) return;
  const frames = (subscription.pending + chunk).replace(/\r\n?/g, '\n').split('\n\n');
  subscription.pending = (frames.pop() ?? '').slice(-65_536);
  for (const frame of frames) {
    const fields = new Map(
      frame.split('\n').map((line) => [line.split(':')[0], line.slice(line.indexOf(':') + 1).trim()]),
    );
    if (fields.get('event') === 'message.created' && fields.get('id') === '0') subscription.created = true;
  }
}

function subscribe(
  agent: http.Agent,
  url: string,
  index: number,
  authorization: string | undefined,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const headers = { accept: 'text/event-stream', ...(authorization ? { authorization } : {}) };
    const req = http.get(url, { agent, headers });
    const timer = setTimeout(() => req.destroy(new Error('no response headers in time')), HEADERS_TIMEOUT_MS);
    req.once('response', (res) => {
      clearTimeout(timer);
      const type = String(res.headers['content-type'] ?? '');
      if (res.statusCode !== 200 || !type.startsWith('text/event-stream')) {
        res.resume();
        req.destroy();
        resolve(`${res.statusCode} ${type || 'no content-type'}`);
        return;
      }
      // Read whatever comes (the connect comment, heartbeats, events), so nothing backs up.
      const subscription: Subscription = { req, index, pending: '', created: false };
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        read(subscription, chunk.toString('utf8'));
      });
      res.on('error', () => undefined);
      open.push(subscription);
      resolve(undefined);
    });
    req.once('error', (error) => {
      clearTimeout(timer);
      resolve(error.message);
    });
  });
}

async function run(job: SseJob): Promise<SseOpened> {
  const target = new URL(job.baseUrl);
  if (target.hostname !== '127.0.0.1') throw new Error(`load only targets 127.0.0.1, not ${target.hostname}`);
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const started = performance.now();
  const opened: SseOpened = { established: 0, failed: 0, openMs: 0 };
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < job.count; i = next++) {
      const url = `${job.baseUrl}/v1/projects/${job.project}-${i}/live`;
      const failure = await subscribe(agent, url, i, job.authorization);
      if (failure === undefined) opened.established++;
      else {
        opened.failed++;
        opened.firstFailure ??= failure;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, job.count) }, worker));
  opened.openMs = performance.now() - started;
  return opened;
}

function closeAll(): void {
  for (const subscription of open) subscription.req.destroy();
  open.length = 0;
}

process.on('message', (message: SseJob | 'report' | 'close') => {
  if (message === 'report') {
    const created = open.filter((subscription) => subscription.created).map((s) => s.index);
    process.send?.({ created, received });
    return;
  }
  if (message === 'close') {
    closeAll();
    process.send?.({ closed: true, received }, () => process.exit(0));
    return;
  }
  run(message).then(
    (opened) => process.send?.(opened),
    (error: unknown) => {
      console.error('sse holder failed:', error);
      process.exit(1);
    },
  );
});

// The parent went away: let the service go.
process.once('disconnect', () => {
  closeAll();
  process.exit(1);
});
