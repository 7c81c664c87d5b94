/** In-process load loops (no HTTP) and their latency statistics. */

export interface LoopLimits {
  durationMs: number;
  /** Count bound per writer, so a loop ends even if the clock misbehaves. */
  maxPerWriter: number;
}

export interface LoopResult {
  ops: number;
  errors: number;
  firstError: string | undefined;
  elapsedMs: number;
  latenciesMs: number[];
}

/**
 * Runs `writers` concurrent loops of `op` until the deadline or the count bound. `op` returns
 * false when it gave up without completing (e.g. retries ran past the deadline).
 */
export async function runWriters(
  writers: number,
  limits: LoopLimits,
  op: (writer: number, index: number) => Promise<boolean | void>,
): Promise<LoopResult> {
  const latenciesMs: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + limits.durationMs;
  const loop = async (writer: number): Promise<void> => {
    for (let index = 0; index < limits.maxPerWriter && performance.now() < deadline; index++) {
      const begin = performance.now();
      try {
        if ((await op(writer, index)) !== false) latenciesMs.push(performance.now() - begin);
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? error.message : String(error);
        // A failing database fails fast; do not spin on it.
        if (errors > 100) return;
      }
    }
  };
  await Promise.all(Array.from({ length: writers }, (_, writer) => loop(writer)));
  return { ops: latenciesMs.length, errors, firstError, elapsedMs: performance.now() - started, latenciesMs };
}

/** Nearest-rank percentile of unsorted samples; undefined when there are none. */
export function percentile(samples: readonly number[], p: number): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function loopSummary(result: LoopResult): {
  rate: number;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
  extra: Record<string, number | string>;
} {
  const extra: Record<string, number | string> = { ops: result.ops };
  if (result.errors > 0) {
    extra.errors = result.errors;
    extra.firstError = result.firstError ?? '';
  }
  return {
    rate: result.ops / (result.elapsedMs / 1000),
    p50Ms: percentile(result.latenciesMs, 50),
    p99Ms: percentile(result.latenciesMs, 99),
    extra,
  };
}

export function maxPerWriter(durationSec: number, writers: number): number {
  return Math.ceil((50_000 * durationSec) / writers);
}

/**
 * How long after its acknowledgement each write was seen (ms, never below 0: a reader may see it
 * before the writer hears back, which `beforeAck` counts), and how many were never seen.
 */
export function lagsAfterAck<A extends { ackAt: number }>(
  acks: readonly A[],
  seenAt: (ack: A) => number | undefined,
): { lags: number[]; beforeAck: number; unseen: number } {
  const lags: number[] = [];
  let beforeAck = 0;
  for (const ack of acks) {
    const at = seenAt(ack);
    if (at === undefined) continue;
    if (at < ack.ackAt) beforeAck++;
    lags.push(Math.max(0, at - ack.ackAt));
  }
  return { lags, beforeAck, unseen: acks.length - lags.length };
}
