import { gcExtra, metricSum } from '../bench/support/service-metrics.js';

const METRICS = [
  '# HELP nodejs_gc_duration_seconds Garbage collection duration by kind.',
  '# TYPE nodejs_gc_duration_seconds histogram',
  'nodejs_gc_duration_seconds_bucket{le="0.001",kind="minor"} 10',
  'nodejs_gc_duration_seconds_sum{kind="minor"} 0.25',
  'nodejs_gc_duration_seconds_count{kind="minor"} 40',
  'nodejs_gc_duration_seconds_sum{kind="major"} 0.5',
  'nodejs_heap_size_used_bytes 1048576',
  'nodejs_heap_size_used_bytes_total 7',
].join('\n');

describe('service metrics for the bench', () => {
  it('sums a metric over its labels, and only that metric', () => {
    expect(metricSum(METRICS, 'nodejs_gc_duration_seconds_sum')).toBe(0.75);
    expect(metricSum(METRICS, 'nodejs_heap_size_used_bytes')).toBe(1_048_576);
    expect(metricSum(METRICS, 'nodejs_heap_size_total_bytes')).toBeUndefined();
  });

  it('gives GC seconds per 1,000 requests between two readings', () => {
    const before = { gcSeconds: 1.5, heapUsedBytes: undefined };
    expect(gcExtra(before, { gcSeconds: 2, heapUsedBytes: undefined }, 2_000)).toEqual({
      gcSecPer1000: 0.25,
    });
    expect(gcExtra(before, { gcSeconds: undefined, heapUsedBytes: undefined }, 2_000)).toEqual({});
  });
});
