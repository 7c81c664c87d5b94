import { Counter, Gauge, type Registry } from 'prom-client';
import { type ProjectionMetrics, type ProjectionsService } from '../../projections/index.js';
import { PREFIX } from './registry.js';

type Sample = { labels: { projection: string }; value: number };

/**
 * Per projection, read from its status when Prometheus scrapes (the projector's hot path is left
 * alone): position, lag in events and in seconds, events applied, rebuild progress, failure.
 */
export function projectionMetrics(registry: Registry, projections: ProjectionsService): void {
  // With the database unreachable the scrape still answers, without these series (their absence
  // alerts); readiness and the logs say why.
  const snapshot = sharedPerScrape(() => projections.metrics().catch((): ProjectionMetrics[] => []));
  const gauge = (name: string, help: string, samples: (metrics: ProjectionMetrics) => Sample[]) =>
    new Gauge({
      name: `${PREFIX}projection_${name}`,
      help,
      labelNames: ['projection'] as const,
      registers: [registry],
      async collect() {
        const all = await snapshot();
        this.reset();
        for (const { labels, value } of all.flatMap(samples)) this.set(labels, value);
      },
    });
  const one = (value: (metrics: ProjectionMetrics) => number | undefined) => (metrics: ProjectionMetrics) => {
    const v = value(metrics);
    return v === undefined ? [] : [{ labels: { projection: metrics.status.name }, value: v }];
  };

  gauge(
    'position',
    "Global position of the last event the live generation applied (the store's numbering)",
    one((m) => positionNumber(m.status.position)),
  );
  gauge(
    'lag_events',
    'Events of the log the live generation has still to apply',
    one((m) => m.status.lag),
  );
  gauge(
    'lag_seconds',
    'Age of the oldest event the live generation has still to apply (0 when caught up)',
    one((m) => m.lagSeconds),
  );
  gauge(
    'rebuild_progress_ratio',
    'Share of the log a rebuild under way has applied (only while one is)',
    one((m) =>
      m.status.rebuild ? progress(m.status.rebuild.eventsApplied, m.status.rebuild.lag) : undefined,
    ),
  );
  gauge(
    'failed',
    '1 when the projection has stopped at an event it cannot apply',
    one((m) => Number(m.status.status === 'failed')),
  );
  new Counter({
    name: `${PREFIX}projection_events_applied_total`,
    help: 'Events the live generation has applied (a rebuild that switches over starts a new count)',
    labelNames: ['projection'] as const,
    registers: [registry],
    async collect() {
      const all = await snapshot();
      this.reset();
      for (const metrics of all) this.inc({ projection: metrics.status.name }, metrics.eventsApplied);
    },
  });
}

/** Positions are opaque strings; their last number grows with the log in both stores. */
function positionNumber(position: string | null): number | undefined {
  const digits = position === null ? undefined : /(\d+)$/.exec(position)?.[1];
  return digits === undefined ? undefined : Number(digits);
}

function progress(applied: number, remaining: number): number {
  return applied + remaining === 0 ? 1 : applied / (applied + remaining);
}

/** One read of the projections per scrape, however many metrics ask for it at once. */
function sharedPerScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= read().finally(() => (pending = undefined));
    return pending;
  };
}
