import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { PROJECTED_CHANNEL } from '../../../projections/index.js';
import { PG_POOL } from '../../database/database.module.js';
import { Problem } from '../../http/problem.js';
import { NotificationHub } from '../notifications/notification-hub.js';

interface Waiter {
  revision: number;
  wake(): void;
}

export const MIN_REVISION_TIMEOUT_MS = 5_000;

/**
 * Read-your-writes: a query with minRevision waits until the read model reflects that revision
 * of the project's stream. Waiters sleep until the projector's notification names their
 * project (or says "*"), then look again; no polling.
 */
@Injectable()
export class ProjectedRevisions {
  private readonly waiters = new Map<string, Set<Waiter>>();

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    hub: NotificationHub,
  ) {
    hub.on(PROJECTED_CHANNEL, (payload) => this.notified(payload));
  }

  async current(projectId: string): Promise<number> {
    const { rows } = await this.pool.query<{ revision: string }>({
      name: 'rm_project_revision',
      text: 'SELECT revision FROM rm_projects WHERE project_id = $1',
      values: [projectId],
    });
    return rows[0] ? Number(rows[0].revision) : -1;
  }

  async waitFor(projectId: string, revision: number, timeoutMs = MIN_REVISION_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let wake!: () => void;
      const woken = new Promise<void>((resolve) => (wake = resolve));
      const waiter = { revision, wake };
      this.add(projectId, waiter);
      try {
        if ((await this.current(projectId)) >= revision) return;
        const left = deadline - Date.now();
        if (left <= 0 || !(await Promise.race([woken.then(() => true), delay(left).then(() => false)]))) {
          // The client asked to wait and is told when to ask again: not a fault of the service.
          throw new Problem(
            503,
            'revision-not-reached',
            `The read model has not reached revision ${revision} yet`,
            { retryAfterSeconds: 1, logLevel: 'debug' },
          );
        }
      } finally {
        this.remove(projectId, waiter);
      }
    }
  }

  private notified(payload: string): void {
    if (payload === '*') {
      for (const set of this.waiters.values()) for (const waiter of set) waiter.wake();
      return;
    }
    let revisions: Record<string, number>;
    try {
      revisions = JSON.parse(payload) as Record<string, number>;
    } catch {
      return;
    }
    for (const [projectId, revision] of Object.entries(revisions)) {
      for (const waiter of this.waiters.get(projectId) ?? []) if (revision >= waiter.revision) waiter.wake();
    }
  }

  private add(projectId: string, waiter: Waiter): void {
    const set = this.waiters.get(projectId) ?? new Set();
    set.add(waiter);
    this.waiters.set(projectId, set);
  }

  private remove(projectId: string, waiter: Waiter): void {
    const set = this.waiters.get(projectId);
    set?.delete(waiter);
    if (set?.size === 0) this.waiters.delete(projectId);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
