import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { CoalescedLookup } from '../database/coalesced-lookup.js';
import { PG_POOL } from '../database/database.module.js';
import { NotificationHub } from '../read/notifications/notification-hub.js';
import { ERASED_CHANNEL, erasedAmong } from './tombstones.js';

/** Known erased ids kept per instance; beyond it the oldest are forgotten (and looked up again). */
const REMEMBERED = 10_000;

type ErasedListener = (projectIds: readonly string[] | '*') => void;

/**
 * Whether a project was erased, as this instance can know it without ever answering stale: an
 * erasure is forever, so only "erased" is remembered; "not erased" is looked up in the tombstones
 * every time (one indexed lookup), so an instance that missed a notification still answers 410.
 * The lookups of concurrent requests share one query.
 */
@Injectable()
export class ErasedProjects {
  private readonly known = new Set<string>();
  private readonly listeners = new Set<ErasedListener>();
  private readonly lookup = new CoalescedLookup((projectIds) => this.erasedAmong(projectIds));

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    hub: NotificationHub,
  ) {
    hub.on(ERASED_CHANNEL, (payload) => {
      if (payload !== '*') this.remember(payload);
      for (const listener of [...this.listeners]) listener(payload === '*' ? '*' : [payload]);
    });
  }

  async isErased(projectId: string): Promise<boolean> {
    if (this.known.has(projectId)) return true;
    return this.lookup.has(projectId);
  }

  /** Known without a lookup: erased and heard of by this instance. */
  isKnownErased(projectId: string): boolean {
    return this.known.has(projectId);
  }

  async erasedAmong(projectIds: readonly string[]): Promise<Set<string>> {
    const erased = await erasedAmong(this.pool, projectIds);
    erased.forEach((projectId) => this.remember(projectId));
    return erased;
  }

  /** Called when an erasure completes on any instance (`'*'`: some may have been missed). */
  onErased(listener: ErasedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private remember(projectId: string): void {
    this.known.delete(projectId);
    this.known.add(projectId);
    if (this.known.size > REMEMBERED) this.known.delete(this.known.values().next().value as string);
  }
}
