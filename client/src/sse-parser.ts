/** Server-sent events as the HTML standard parses them, from text that may arrive in any chunks. */

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
