export interface BackoffOptions {
  /** The first delay's ceiling (ms). */
  baseDelayMs?: number;
  /** No delay is longer, whatever the attempt or `Retry-After` (ms). */
  maxDelayMs?: number;
}

const DEFAULT_BASE_MS = 100;
const DEFAULT_MAX_MS = 10_000;

/**
 * How long to wait before retry `attempt` (0 first): what `Retry-After` asks when the server said,
 * else "full jitter" exponential backoff, so that clients cut off together do not come back together.
 */
export function retryDelay(attempt: number, retryAfter: string | null, options: BackoffOptions = {}): number {
  const max = options.maxDelayMs ?? DEFAULT_MAX_MS;
  const asked = retryAfterMs(retryAfter);
  if (asked !== undefined) return Math.min(max, asked);
  const ceiling = Math.min(max, (options.baseDelayMs ?? DEFAULT_BASE_MS) * 2 ** attempt);
  return Math.random() * ceiling;
}

/** `Retry-After` as seconds or as an HTTP date. */
function retryAfterMs(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
