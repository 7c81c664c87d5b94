import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { CoalescedLookup } from '../database/coalesced-lookup.js';
import { PG_POOL } from '../database/database.module.js';
import { NotificationHub } from '../read/notifications/notification-hub.js';
import { ERASED_CHANNEL, erasedAmong, TOMBSTONED_CHANNEL } from './tombstones.js';

/**
 * Erased ids, and ids found not erased, kept per instance (each); beyond it the oldest are
 * forgotten (and looked up again).
 */
const REMEMBERED = 10_000;

type ErasedListener = (projectIds: readonly string[] | '*') => void;

/**
 * Whether a project was erased, as this instance can know it without answering stale. An erasure
 * is forever, so "erased" is remembered for good. "Not erased" is remembered only while it cannot
 * have changed unheard: a tombstone's notification goes out as the tombstone commits, so an answer
 * looked up while this instance listened to them, and kept only while it has listened all along,
 * is forgotten the moment the notification arrives. A lost notification connection forgets every
 * such answer (they are looked up again, one indexed lookup), so an instance that may have missed
 * a notification still answers 410. The lookups of concurrent requests share one query.
 */
@Injectable()
export class ErasedProjects {
  private readonly known = new Set<string>();
  /** Found not erased, with the notification epoch of the lookup (see NotificationHub.standing). */
  private readonly notErased = new Map<string, number>();
  private readonly listeners = new Set<ErasedListener>();
  private readonly lookup = new CoalescedLookup((projectIds) => this.lookUp(projectIds));

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    private readonly hub: NotificationHub,
  ) {
    hub.on(TOMBSTONED_CHANNEL, (payload) => {
      if (payload === '*') this.notErased.clear();
      else this.remember(payload);
    });
    hub.on(ERASED_CHANNEL, (payload) => {
      if (payload === '*') this.notErased.clear();
      else this.remember(payload);
      for (const listener of [...this.listeners]) listener(payload === '*' ? '*' : [payload]);
    });
  }

  async isErased(projectId: string): Promise<boolean> {
    if (this.known.has(projectId)) return true;
    const epoch = this.notErased.get(projectId);
    if (epoch !== undefined) {
      const now = this.hub.standing(TOMBSTONED_CHANNEL);
      if (now.listening && now.epoch === epoch) return false;
      this.notErased.clear(); // the connection was lost since: every such answer may be stale
    }
    return this.lookup.has(projectId);
  }

  /** This instance wrote the project's tombstone (the notification of it is on its way). */
  tombstoned(projectId: string): void {
    this.remember(projectId);
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

  /**
   * erasedAmong, remembering the others as not erased when a tombstone written after the lookup
   * would have been heard: the instance listened from before the lookup to its answer.
   */
  private async lookUp(projectIds: readonly string[]): Promise<Set<string>> {
    const before = this.hub.standing(TOMBSTONED_CHANNEL);
    const erased = await this.erasedAmong(projectIds);
    const after = this.hub.standing(TOMBSTONED_CHANNEL);
    if (before.listening && after.listening && before.epoch === after.epoch) {
      for (const projectId of projectIds) {
        if (erased.has(projectId) || this.known.has(projectId)) continue;
        this.notErased.delete(projectId);
        this.notErased.set(projectId, before.epoch);
        if (this.notErased.size > REMEMBERED)
          this.notErased.delete(this.notErased.keys().next().value as string);
      }
    }
    return erased;
  }

  /** Called when an erasure completes on any instance (`'*'`: some may have been missed). */
  onErased(listener: ErasedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private remember(projectId: string): void {
    this.notErased.delete(projectId);
    this.known.delete(projectId);
    this.known.add(projectId);
    if (this.known.size > REMEMBERED) this.known.delete(this.known.values().next().value as string);
  }
}
