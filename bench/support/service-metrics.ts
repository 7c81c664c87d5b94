import { request } from './http.js';

/** The service's own /metrics (Prometheus text): Node's GC and heap figures, read before and after a load. */

/** The sum of every sample of a metric, whatever its labels (e.g. GC time over all GC kinds). */
export function metricSum(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const value = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum = (sum ?? 0) + value;
  }
  return sum;
}

export interface ServiceMetrics {
  /** Seconds spent in garbage collection since the service started. */
  gcSeconds: number | undefined;
  heapUsedBytes: number | undefined;
}

export async function readServiceMetrics(baseUrl: string): Promise<ServiceMetrics> {
  const { status, body } = await request(`${baseUrl}/metrics`);
  if (status !== 200) return { gcSeconds: undefined, heapUsedBytes: undefined };
  return {
    gcSeconds: metricSum(body, 'nodejs_gc_duration_seconds_sum'),
    heapUsedBytes: metricSum(body, 'nodejs_heap_size_used_bytes'),
  };
}

/** GC seconds per 1,000 requests between two readings, for a result's extra; none without the figures. */
export function gcExtra(
  before: ServiceMetrics,
  after: ServiceMetrics,
  requests: number,
): { gcSecPer1000?: number } {
  if (before.gcSeconds === undefined || after.gcSeconds === undefined || requests === 0) return {};
  return { gcSecPer1000: Number((((after.gcSeconds - before.gcSeconds) * 1000) / requests).toFixed(4)) };
}
