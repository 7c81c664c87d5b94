import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import pg from 'pg';
import { CONFIG } from '../../config/config.module.js';
import { type Config } from '../../config/config.js';

type Listener = (payload: string) => void;

/**
 * One LISTEN connection per instance, shared by everyone waiting on the database: what wakes
 * them is what was stored, so it works the same with many instances. Reconnects by itself;
 * after a reconnect every listener is woken with "*" since notifications may have been missed.
 */
@Injectable()
export class NotificationHub implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(NotificationHub.name);
  private readonly listeners = new Map<string, Set<Listener>>();
  private client: pg.Client | undefined;
  /** The channels the current connection has confirmed it LISTENs to. */
  private listening = new Set<string>();
  private lost = 0;
  private closed = false;

  constructor(@Inject(CONFIG) private readonly config: Config) {}

  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
  }

  /** Calls `listener` with each notification's payload on `channel`; returns the unsubscribe. */
  on(channel: string, listener: Listener): () => void {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      const client = this.client;
      void client?.query(`LISTEN ${pg.escapeIdentifier(channel)}`).then(
        () => this.client === client && this.listening.add(channel),
        () => undefined,
      );
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  /**
   * Where the instance stands with the database's notifications: `listening` whether a
   * notification on `channel` committed from now on reaches this instance's listeners, and
   * `epoch`, a count of the connections lost so far. While the epoch stays the same, a channel that
   * was listened to has been listened to all along: nothing on it was missed.
   */
  standing(channel: string): { listening: boolean; epoch: number } {
    return { listening: this.client !== undefined && this.listening.has(channel), epoch: this.lost };
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.config.databaseUrl,
      application_name: 'notifications',
    });
    client.on('notification', (message) => this.dispatch(message.channel, message.payload ?? ''));
    client.on('error', (error) => {
      if (this.client === client) this.lose();
      if (this.closed) return;
      this.logger.warn(`notification connection lost: ${error.message}`);
      void client.end().catch(() => undefined);
      this.reconnect();
    });
    await client.connect();
    const listening = new Set<string>();
    for (const channel of this.listeners.keys()) {
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      listening.add(channel);
    }
    this.client = client;
    this.listening = listening;
  }

  private lose(): void {
    this.client = undefined;
    this.listening = new Set();
    this.lost++;
  }

  private reconnect(): void {
    if (this.client) this.lose();
    if (this.closed) return;
    setTimeout(() => {
      this.connect().then(
        () => {
          for (const channel of this.listeners.keys()) this.dispatch(channel, '*');
        },
        () => this.reconnect(),
      );
    }, 500);
  }

  private dispatch(channel: string, payload: string): void {
    for (const listener of this.listeners.get(channel) ?? []) listener(payload);
  }
}
