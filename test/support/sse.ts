/** A small server-sent events client for tests: fetch, then parse `response.body` as the spec says. */

export interface SseEvent {
  kind: 'event';
  id: string | undefined;
  event: string;
  data: string;
}

export interface SseComment {
  kind: 'comment';
  text: string;
}

export type SseItem = SseEvent | SseComment;

/** Feeds text in, gets events and comments out; a line may arrive split across chunks. */
export class SseParser {
  private buffer = '';
  private id: string | undefined;
  private event = '';
  private data: string[] = [];
  private hasData = false;
  /** The reconnection time the stream last set with a `retry:` field (ms), if any. */
  retry: number | undefined;

  push(text: string): SseItem[] {
    this.buffer += text;
    const items: SseItem[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      // A trailing \r may be the first half of \r\n: wait for more.
      if (!match || (match[0] === '\r' && match.index === this.buffer.length - 1)) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const item = this.line(line);
      if (item) items.push(item);
    }
    return items;
  }

  private line(line: string): SseItem | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return { kind: 'comment', text: line.slice(1).trimStart() };
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.data.push(value);
      this.hasData = true;
    } else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\u0000')) this.id = value;
    // Only ASCII digits set it; anything else is ignored, as a browser's EventSource does.
    else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const event: SseEvent = {
      kind: 'event',
      id: this.id,
      event: this.event || 'message',
      data: this.data.join('\n'),
    };
    const had = this.hasData;
    this.event = '';
    this.data = [];
    this.hasData = false;
    return had ? event : undefined;
  }
}

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
