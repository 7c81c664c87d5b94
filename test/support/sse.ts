/** A small server-sent events client for tests: fetch, then parse `response.body` as the spec says. */

import { type SseEvent, type SseItem, SseParser } from '../../client/src/sse-parser.js';

export type { SseComment, SseEvent, SseItem } from '../../client/src/sse-parser.js';
export { SseParser } from '../../client/src/sse-parser.js';

export interface SseConnection {
  response: Response;
  /** The next event or comment; rejects after `timeoutMs` or when the stream ends. */
  next(timeoutMs?: number): Promise<SseItem>;
  /** The next event, skipping comments. */
  nextEvent(timeoutMs?: number): Promise<SseEvent>;
  /** The reconnection time set by a `retry:` field among the lines parsed so far (ms), if any. */
  retry(): number | undefined;
  close(): void;
}

/** Opens a stream; a response that is not 200 text/event-stream is returned unread as `response`. */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  const abort = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  const queue: SseItem[] = [];
  const parser = new SseParser();
  const waiters: Array<() => void> = [];
  let ended: Error | undefined;
  const notify = () => waiters.splice(0).forEach((wake) => wake());

  if (response.ok && response.body) {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          queue.push(...parser.push(value));
          notify();
        }
        ended = new Error('the stream ended');
      } catch (error) {
        ended = error instanceof Error ? error : new Error(String(error));
      }
      notify();
    })();
  }

  const next = async (timeoutMs = 5_000): Promise<SseItem> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const item = queue.shift();
      if (item) return item;
      if (ended) throw ended;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no SSE item within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };

  return {
    response,
    next,
    async nextEvent(timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const item = await next(Math.max(1, deadline - Date.now()));
        if (item.kind === 'event') return item;
      }
    },
    retry: () => parser.retry,
    close: () => abort.abort(),
  };
}
