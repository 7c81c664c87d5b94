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

  /** Writes the changes that continue where this subscriber is; `changes` are consecutive. */
  deliver(changes: readonly Change[]): void {
    const first = changes[0];
    if (!first || !this.ready) return;
    let index = this.last + 1 - first.revision;
    if (index < 0 || index >= changes.length) return;
    this.sink.cork?.();
    try {
      for (; index < changes.length; index++) {
        const change = changes[index] as Change;
        this.last = change.revision;
        if (!this.sink.write(change.frame)) {
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
