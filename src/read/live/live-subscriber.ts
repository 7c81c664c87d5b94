import { type Change } from './message-changes.js';

/** The part of a response a subscriber writes to (a ServerResponse in the service). */
export interface SseSink {
  write(chunk: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
  end(): unknown;
  cork?(): void;
  uncork?(): void;
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
}

export const HEARTBEAT_FRAME = ': heartbeat\n\n';

/**
 * A subscriber more revisions than this behind the channel's head gets each run of one reply's
 * streamed pieces as one `message.updated` (the message as of the run's last piece): a client
 * back from a long absence catches up in a few frames instead of thousands.
 */
export const FAR_BEHIND = 100;

/**
 * The last frame of a stream whose instance shuts down. It has no `id`, so a client's
 * Last-Event-ID stays its last change and a reconnection (which the load balancer sends to
 * another instance) resumes exactly there.
 */
export const SHUTDOWN_FRAME =
  'event: shutdown\ndata: {"detail":"This instance is shutting down; reconnect with Last-Event-ID to resume on another"}\n\n';

/** The last frame of a stream whose project was erased: there is nothing to reconnect to. */
export const ERASED_FRAME =
  'event: project.erased\ndata: {"detail":"This project was erased; its conversation is gone"}\n\n';

/** Tells the client its project was erased, then ends the stream. */
export function erased(sink: SseSink): void {
  if (sink.writableEnded) return;
  if (!sink.destroyed) sink.write(ERASED_FRAME);
  sink.end();
}

/** Tells the client to reconnect elsewhere, then ends the stream. */
export function shutDown(sink: SseSink): void {
  if (sink.writableEnded) return;
  if (!sink.destroyed) sink.write(SHUTDOWN_FRAME);
  sink.end();
}

/**
 * One client of a channel. It only ever writes the revision after the last one it wrote, so
 * whatever order pages reach it in, it sends no gap and no duplicate. When its socket is full it
 * stops taking changes until 'drain' and then catches up from the log: a slow client costs
 * no memory beyond its socket buffer.
 */
export class LiveSubscriber {
  private waitingForDrain = false;

  constructor(
    private readonly sink: SseSink,
    /** The revision last sent (or the resume point): the next change must be last + 1. */
    public last: number,
    private readonly drained: () => void,
  ) {}

  get ready(): boolean {
    return !this.waitingForDrain && !this.sink.destroyed && !this.sink.writableEnded;
  }

  /**
   * Writes the changes that continue where this subscriber is; `changes` are consecutive, and
   * `head` is the newest revision the channel knows of.
   */
  deliver(changes: readonly Change[], head = 0): void {
    const first = changes[0];
    if (!first || !this.ready) return;
    let index = this.last + 1 - first.revision;
    if (index < 0 || index >= changes.length) return;
    const compact = head - this.last > FAR_BEHIND;
    let inRun = false;
    this.sink.cork?.();
    try {
      for (; index < changes.length; index++) {
        const change = changes[index] as Change;
        let frame = change.frame;
        if (compact && change.delta) {
          // The run's last piece carries the whole message; `last` moves only once it is written.
          if (changes[index + 1]?.delta?.messageId === change.delta.messageId) {
            inRun = true;
            continue;
          }
          if (inRun) frame = change.delta.snapshot();
        }
        inRun = false;
        this.last = change.revision;
        if (!this.sink.write(frame)) {
          this.waitForDrain();
          break;
        }
      }
    } finally {
      this.sink.uncork?.();
    }
  }

  heartbeat(): void {
    if (this.ready && !this.sink.write(HEARTBEAT_FRAME)) this.waitForDrain();
  }

  shutDown(): void {
    shutDown(this.sink);
  }

  erased(): void {
    erased(this.sink);
  }

  private waitForDrain(): void {
    this.waitingForDrain = true;
    this.sink.once('drain', () => {
      this.waitingForDrain = false;
      this.drained();
    });
  }
}
