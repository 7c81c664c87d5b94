import { type Change, type ChangeSource } from './message-changes.js';
import { type LiveSubscriber } from './live-subscriber.js';

export interface ChannelOptions {
  pageSize: number;
  heartbeatMs: number;
  onError(projectId: string, error: unknown): void;
}

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 10_000;

/**
 * The subscribers of one project. Reads are serialized: one pump at a time reads the log and
 * fans each page out to every subscriber it continues. A wake (a notification) reads what is new
 * once for everyone; subscribers that are behind (new with a backlog, or back from a full socket)
 * are caught up page by page, sharing each page with whoever else it continues.
 */
export class LiveChannel {
  readonly subscribers = new Set<LiveSubscriber>();
  /**
   * The highest revision this channel has read (or, at first, one the stream is known to have):
   * never beyond the stream's end, or catching up to it would wait for what does not exist.
   */
  private head: number;
  private dirty = true;
  private pumping = false;
  private closed = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly heartbeatTimer: NodeJS.Timeout;

  constructor(
    readonly projectId: string,
    startRevision: number,
    private readonly source: ChangeSource,
    private readonly options: ChannelOptions,
  ) {
    this.head = startRevision;
    // One timer per channel, not per subscriber.
    this.heartbeatTimer = setInterval(() => {
      for (const subscriber of this.subscribers) subscriber.heartbeat();
    }, options.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  add(subscriber: LiveSubscriber): void {
    this.subscribers.add(subscriber);
    // Its starting revision may lie beyond what this channel has read: look again.
    this.wake();
  }

  /** Returns whether the channel is now empty. */
  remove(subscriber: LiveSubscriber): boolean {
    this.subscribers.delete(subscriber);
    return this.subscribers.size === 0;
  }

  /** Something may have been appended. */
  wake(): void {
    this.dirty = true;
    this.pump();
  }

  /** A subscriber can take changes again. */
  pump(): void {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    void this.run();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private async run(): Promise<void> {
    try {
      for (;;) {
        if (this.closed) break;
        if (this.dirty) {
          this.dirty = false;
          await this.readNew();
          continue;
        }
        const behind = this.furthestBehind();
        if (behind === undefined) break;
        await this.catchUp(behind);
      }
      this.failures = 0;
    } catch (error) {
      this.options.onError(this.projectId, error);
      this.dirty = true;
      this.failures++;
      const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(this.failures, 10));
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.pump();
      }, delay);
    }
    // Synchronously after the last look at `dirty`: a wake can't slip in between.
    this.pumping = false;
  }

  private async readNew(): Promise<void> {
    for (;;) {
      const changes = await this.source.read(this.projectId, this.head + 1, this.options.pageSize);
      if (this.closed) return;
      this.fanOut(changes);
      if (changes.length < this.options.pageSize) return;
    }
  }

  private async catchUp(subscriber: LiveSubscriber): Promise<void> {
    const from = subscriber.last + 1;
    const count = Math.min(this.options.pageSize, this.head - subscriber.last);
    const changes = await this.source.read(this.projectId, from, count);
    if (changes[0]?.revision !== from) {
      throw new Error(`revision ${from} of project ${this.projectId} could not be read`);
    }
    if (!this.closed) this.fanOut(changes);
  }

  private fanOut(changes: Change[]): void {
    const last = changes.at(-1);
    if (!last) return;
    if (last.revision > this.head) this.head = last.revision;
    for (const subscriber of this.subscribers) subscriber.deliver(changes, this.head);
  }

  private furthestBehind(): LiveSubscriber | undefined {
    let found: LiveSubscriber | undefined;
    for (const subscriber of this.subscribers) {
      if (!subscriber.ready || subscriber.last >= this.head) continue;
      if (!found || subscriber.last < found.last) found = subscriber;
    }
    return found;
  }
}
