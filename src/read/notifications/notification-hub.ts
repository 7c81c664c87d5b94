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
      void this.client?.query(`LISTEN ${pg.escapeIdentifier(channel)}`).catch(() => undefined);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.config.databaseUrl,
      application_name: 'notifications',
    });
    client.on('notification', (message) => this.dispatch(message.channel, message.payload ?? ''));
    client.on('error', (error) => {
      if (this.closed) return;
      this.logger.warn(`notification connection lost: ${error.message}`);
      void client.end().catch(() => undefined);
      this.reconnect();
    });
    await client.connect();
    for (const channel of this.listeners.keys()) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    this.client = client;
  }

  private reconnect(): void {
    this.client = undefined;
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
