import { type Principal } from './principal.js';

/**
 * Tokens that passed jose's verification lately, with what they said. A client sends the same
 * token on every request, and verifying it (Web Crypto, a round trip through the thread pool)
 * would cost more CPU than the append it guards. Only verified tokens enter, and none outlives
 * its own expiry or `maxAgeMs`, so a key withdrawn from the key set stops working within that.
 */
export class VerifiedTokens {
  /** Oldest first (Map keeps insertion order), so that the oldest leave first when it is full. */
  private readonly entries = new Map<string, { principal: Principal; until: number }>();

  constructor(
    private readonly capacity: number,
    private readonly maxAgeMs: number,
  ) {}

  get(token: string, now: number): Principal | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (now < entry.until) return entry.principal;
    this.entries.delete(token);
    return undefined;
  }

  /** `until`: when the token stops being valid, as jose judges it (its `exp` plus the leeway), in ms. */
  add(token: string, principal: Principal, until: number, now: number): void {
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, { principal, until: Math.min(until, now + this.maxAgeMs) });
  }
}
