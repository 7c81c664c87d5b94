import { retryDelay, sleep } from './backoff.js';
import { problemError } from './errors.js';
import { type SseEvent, SseParser } from './sse-parser.js';
import { readBody, type Transport } from './transport.js';
import type { Message, MessageDelta } from './types.js';

export interface LiveOptions {
  /** Replay every change after this revision first; without it, the stream starts live. */
  fromRevision?: number;
  /** Ends the iteration cleanly (no error) when it aborts. */
  signal?: AbortSignal;
  /** A connection silent this long is taken for dead and replaced (ms; the service's heartbeat is at most 15 s). */
  idleTimeoutMs?: number;
}

/** A change of the project, at its stream revision; `project.erased` is the last one. */
export type LiveChange =
  | { type: 'message.created' | 'message.updated'; revision: number; message: Message }
  /** A streamed piece of a reply: its `delta` goes at `offset` of the message's content. */
  | { type: 'message.delta'; revision: number; delta: MessageDelta }
  | { type: 'project.erased' };

/** Where this iteration stands: the last revision delivered, and whether the project was erased. */
interface Cursor {
  revision: number | undefined;
  erased: boolean;
}

const DEFAULT_IDLE_TIMEOUT_MS = 45_000;

/**
 * Follows `GET .../live` with `fetch` streaming (so `Authorization` headers work in browsers, where
 * `EventSource` cannot send them). A connection that ends, fails, goes silent or says `shutdown` is
 * replaced after a jittered backoff, resuming with `Last-Event-ID`: the service replays what was
 * missed, and revisions already delivered are skipped, so each change comes once and in order.
 */
export async function* live(
  transport: Transport,
  projectPath: string,
  options: LiveOptions,
): AsyncGenerator<LiveChange> {
  const cursor: Cursor = { revision: options.fromRevision, erased: false };
  for (let attempt = 0; !options.signal?.aborted;) {
    try {
      for await (const change of connection(transport, projectPath, cursor, options)) {
        attempt = 0;
        yield change;
      }
      if (cursor.erased) return;
    } catch (error) {
      if (options.signal?.aborted) return;
      if (!isTransient(error)) throw error;
    }
    await sleep(retryDelay(attempt++, null, { baseDelayMs: 250, maxDelayMs: 5_000 }), options.signal).catch(
      () => {},
    );
  }
}

/** One connection's changes; it returns when the stream ends, throws when it fails. */
async function* connection(
  transport: Transport,
  projectPath: string,
  cursor: Cursor,
  options: LiveOptions,
): AsyncGenerator<LiveChange> {
  const abort = new AbortController();
  const stop = () => abort.abort();
  options.signal?.addEventListener('abort', stop, { once: true });
  const idle = idleWatch(options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, stop);
  try {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (cursor.revision !== undefined) headers['last-event-id'] = String(cursor.revision);
    const response = await transport.raw(`${projectPath}/live`, { headers, signal: abort.signal });
    if (response.status === 410) {
      cursor.erased = true;
      await response.body?.cancel();
      return yield { type: 'project.erased' };
    }
    if (!response.ok || !response.body) throw problemError(response.status, await readBody(response), null);
    const parser = new SseParser();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      idle.reset();
      for (const item of parser.push(value)) {
        if (item.kind !== 'event') continue;
        const change = toChange(item, cursor);
        if (change) yield change;
        if (cursor.erased || item.event === 'shutdown') return;
      }
    }
  } finally {
    idle.clear();
    options.signal?.removeEventListener('abort', stop);
    abort.abort();
  }
}

const MESSAGE_EVENTS = new Set(['message.created', 'message.updated', 'message.delta']);

/** The change an event carries, once: a revision at or before the cursor was delivered already. */
function toChange(event: SseEvent, cursor: Cursor): LiveChange | undefined {
  if (event.event === 'project.erased') {
    cursor.erased = true;
    return { type: 'project.erased' };
  }
  if (!MESSAGE_EVENTS.has(event.event)) return undefined;
  const revision = Number(event.id);
  if (cursor.revision !== undefined && revision <= cursor.revision) return undefined;
  cursor.revision = revision;
  if (event.event === 'message.delta')
    return { type: 'message.delta', revision, delta: JSON.parse(event.data) as MessageDelta };
  return {
    type: event.event as 'message.created' | 'message.updated',
    revision,
    message: JSON.parse(event.data) as Message,
  };
}

function idleWatch(timeoutMs: number, onIdle: () => void): { reset(): void; clear(): void } {
  let timer = setTimeout(onIdle, timeoutMs);
  return {
    reset() {
      clearTimeout(timer);
      timer = setTimeout(onIdle, timeoutMs);
    },
    clear: () => clearTimeout(timer),
  };
}

/** Network failures, an idle connection cut, and answers that say "later" are worth another try. */
function isTransient(error: unknown): boolean {
  if (typeof error === 'object' && error !== null && 'status' in error) {
    const status = (error as { status: number }).status;
    return status === 429 || status >= 500;
  }
  return true;
}
