import type pg from 'pg';
import { Gauge, type Registry } from 'prom-client';
import { type LiveService } from '../read/live/live.service.js';
import { PREFIX } from './registry.js';

/** What is open right now, read when Prometheus scrapes: live streams, PostgreSQL connections. */
export function runtimeMetrics(registry: Registry, live: LiveService, pool: pg.Pool): void {
  const registers = [registry];
  new Gauge({
    name: `${PREFIX}sse_streams_open`,
    help: 'Live (server-sent events) streams open on this instance',
    registers,
    collect() {
      this.set(live.stats().subscribers);
    },
  });
  new Gauge({
    name: `${PREFIX}db_pool_connections`,
    help: 'Connections of the PostgreSQL pool, by state (total, idle)',
    labelNames: ['state'] as const,
    registers,
    collect() {
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
    },
  });
  new Gauge({
    name: `${PREFIX}db_pool_waiting_clients`,
    help: 'Queries waiting for a connection of the PostgreSQL pool',
    registers,
    collect() {
      this.set(pool.waitingCount);
    },
  });
}
