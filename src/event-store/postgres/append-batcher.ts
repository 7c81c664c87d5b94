import type { AppendResult, ExpectedRevision, NewEvent } from '../event-store.port.js';

export interface PendingAppend {
  streamName: string;
  events: readonly NewEvent[];
  expected: ExpectedRevision;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

export interface AppendBatcherOptions {
  maxInFlight: number;
  maxBatchSize: number;
}

/**
 * Group commit in the application: while `maxInFlight` flushes are under way, new appends wait
 * and leave together in the next flush. An idle store sends each append at once.
 */
export class AppendBatcher {
  private readonly queue: PendingAppend[] = [];
  private inFlight = 0;
  private idle: (() => void)[] = [];

  constructor(
    private readonly flush: (batch: PendingAppend[]) => Promise<void>,
    private readonly options: AppendBatcherOptions,
  ) {}

  enqueue(append: Omit<PendingAppend, 'resolve' | 'reject'>): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ ...append, resolve, reject });
      this.pump();
    });
  }

  /**
   * The oldest appends, one per stream: a second append to a stream waits for the next batch,
   * behind the first, so each stream's appends keep their order.
   */
  private take(): PendingAppend[] {
    const batch: PendingAppend[] = [];
    const streams = new Set<string>();
    const rest: PendingAppend[] = [];
    for (const item of this.queue) {
      if (batch.length < this.options.maxBatchSize && !streams.has(item.streamName)) {
        streams.add(item.streamName);
        batch.push(item);
      } else {
        rest.push(item);
      }
    }
    this.queue.splice(0, this.queue.length, ...rest);
    return batch;
  }

  /** Resolves once everything enqueued so far has been flushed. */
  drain(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch = this.take();
      this.inFlight++;
      this.flush(batch)
        .catch((error: unknown) => batch.forEach((item) => item.reject(error)))
        .finally(() => {
          this.inFlight--;
          this.pump();
          if (this.inFlight === 0 && this.queue.length === 0) this.idle.splice(0).forEach((done) => done());
        });
    }
  }
}
