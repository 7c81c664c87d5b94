/** Shapes shared by every baseline and scenario, and by the report. */

export interface BenchOptions {
  quick: boolean;
  /** Seconds of load per measured phase. */
  durationSec: number;
  /** Seconds of unmeasured load before each HTTP phase (JIT, connection pools). */
  warmupSec: number;
  /** Concurrent writers or HTTP connections for the many/hot/turns scenarios. */
  connections: number;
  /** Writers on the one stream of emmett-hot. */
  hotWriters: number;
  naiveWriters: number;
  naiveMessages: number;
  /** Messages seeded into the long-stream project. */
  longStream: number;
  /** Sequential requests per project measured by long-stream. */
  samples: number;
  bulkRows: number;
  /** Messages in the event log seeded for history and rebuild (one project of `historyProject`). */
  historyMessages: number;
  /** Messages of the one project whose newest page history reads. */
  historyProject: number;
  /** Appends per second that lag paces (open loop). */
  lagRate: number;
  /** Projects lag spreads its appends over. */
  lagProjects: number;
  /** Replies stream-many streams at once (and paces its lag phase over). */
  streamReplies: number;
  /** Deltas per reply in stream-many's flat-out phase. */
  streamDeltas: number;
  /** Idle SSE subscriptions sse-idle opens. */
  sseSubscribers: number;
  /** Distinct projects memory writes one message each to. */
  memoryProjects: number;
  /** Projects projects-list seeds into the read model it lists. */
  listProjects: number;
  /** Legacy rows import-legacy imports (100 per project). */
  legacyRows: number;
  /** Seconds of load per connection count of the scaling curve. */
  scalingDurationSec: number;
  /** Projects whose cached decision state state-cache measures after one message (a tenth after ten). */
  cacheProjects: number;
  only: readonly string[] | undefined;
  /** The scenario whose service runs under the CPU profiler (and the only one run). */
  profile: string | undefined;
}

export type ExtraValue = string | number | boolean;

export interface BenchResult {
  id: string;
  name: string;
  what: string;
  /** Operations per second (see `unit`). */
  rate?: number;
  unit?: string;
  p50Ms?: number;
  p99Ms?: number;
  /** A size in MB (memory scenarios): shown in the rate column. */
  mb?: number;
  /** A size in bytes of one thing (`unit` says of what): shown in the rate column. */
  bytes?: number;
  extra: Record<string, ExtraValue>;
  /** A correctness check that must pass for this result's targets to count. */
  check?: { ok: boolean; detail: string };
  skipped?: string;
}

export interface BenchContext {
  options: BenchOptions;
  /** A fresh, empty database for this bench; returns its connection URL. */
  database(name: string): Promise<string>;
  log(message: string): void;
  /** Set while the profiled scenario runs: its services write their CPU profiles here. */
  cpuProfileDir?: string;
}

export interface Bench {
  /** What `--only` matches. */
  name: string;
  run(context: BenchContext): Promise<BenchResult[]>;
}

export interface Target {
  subject: string;
  /** Absent: `value` bounds the subject's own figure (ms or MB), not a ratio. */
  baseline?: string;
  metric: 'rate' | 'p50Ms' | 'p99Ms' | 'mb';
  op: '>=' | '<=';
  value?: number;
}

export interface Comparison extends Target {
  ratio?: number;
  /** The subject's own figure, for a target without a baseline. */
  figure?: number;
  pass?: boolean;
  note?: string;
}

export interface Machine {
  cores: number;
  cpuModel: string;
  node: string;
  postgres: string;
  platform: string;
}

export function skipped(id: string, name: string, what: string, reason: string): BenchResult {
  return { id, name, what, extra: {}, skipped: reason };
}
