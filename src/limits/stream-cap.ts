import { Problem } from '../http/problem.js';

/** How long a client over the cap is asked to wait: about how long a stream takes to be closed. */
const RETRY_AFTER_SECONDS = 5;

/**
 * Counts the long-lived streams each client holds open, so that one client cannot hold them all.
 * A slot is taken before a stream starts and given back exactly once when it ends.
 */
export class StreamCap {
  private readonly open = new Map<string, number>();

  constructor(private readonly perClient: number) {}

  /** Takes a slot for `key`, or throws a 429 problem when it holds its cap; returns the release. */
  acquire(key: string): () => void {
    const held = this.open.get(key) ?? 0;
    if (held >= this.perClient) {
      throw new Problem(
        429,
        'too-many-streams',
        `This client already holds ${held} live streams, the most allowed; close one first`,
        { retryAfterSeconds: RETRY_AFTER_SECONDS },
      );
    }
    this.open.set(key, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(key) ?? 1) - 1;
      if (left === 0) this.open.delete(key);
      else this.open.set(key, left);
    };
  }
}
