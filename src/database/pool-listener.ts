import type pg from 'pg';

type Listener = (payload: string) => void;

/** Who delivers a database's notifications: the service's NotificationHub, or a PoolListener. */
export interface NotificationSource {
  /** Calls `listener` with each notification's payload on `channel`; returns the unsubscribe. */
  on(channel: string, listener: Listener): () => void;
}

const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5_000;

/**
 * One LISTEN connection taken from a pool while anyone listens (released when the last listener
 * leaves, or at close()), for processes without the service's NotificationHub (the projections
 * CLI, tests). Reconnects by itself, backing off; after a reconnect every listener gets "*"
 * since notifications may have been missed.
 */
export class PoolListener implements NotificationSource {
  private readonly listeners = new Map<string, Set<Listener>>();
  private client: pg.PoolClient | undefined;
  private connecting: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;

  constructor(private readonly pool: pg.Pool) {}

  on(channel: string, listener: Listener): () => void {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      if (this.client) void this.client.query(`LISTEN ${channel}`).catch(() => undefined);
    }
    set.add(listener);
    if (!this.client && !this.connecting && !this.timer && !this.closed) this.connect(false);
    return () => {
      set.delete(listener);
      if (this.idle()) void this.disconnect();
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.disconnect();
  }

  private idle(): boolean {
    return [...this.listeners.values()].every((set) => set.size === 0);
  }

  private async disconnect(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    // Released with an error: the pool closes it rather than hand out a connection still listening.
    client?.release(new Error('no longer listening'));
  }

  private connect(missed: boolean): void {
    this.connecting = (async () => {
      const client = await this.pool.connect();
      try {
        for (const channel of this.listeners.keys()) await client.query(`LISTEN ${channel}`);
      } catch (error) {
        client.release(error as Error);
        throw error;
      }
      if (this.closed || this.idle()) {
        client.release(new Error('no longer listening'));
        return;
      }
      client.on('notification', (message) => this.dispatch(message.channel, message.payload ?? ''));
      client.on('error', (error) => {
        if (this.client !== client) return;
        this.client = undefined;
        client.release(error);
        this.retry();
      });
      this.client = client;
      this.failures = 0;
      if (missed) for (const channel of this.listeners.keys()) this.dispatch(channel, '*');
    })().then(
      () => (this.connecting = undefined),
      () => {
        this.connecting = undefined;
        this.retry();
      },
    );
  }

  private retry(): void {
    if (this.closed || this.idle()) return;
    this.failures++;
    const pause = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.min(this.failures - 1, 10));
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.connect(true);
      },
      pause * (0.5 + Math.random() * 0.5),
    );
    this.timer.unref();
  }

  private dispatch(channel: string, payload: string): void {
    for (const listener of [...(this.listeners.get(channel) ?? [])]) listener(payload);
  }
}
