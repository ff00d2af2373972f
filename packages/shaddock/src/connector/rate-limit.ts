import type { RateLimit } from './connector-config.js';

/** A token bucket: `requests` tokens, refilled continuously over `perMs`; one per message. */
export class TokenBucket {
  readonly #capacity: number;
  readonly #perMs: number;
  #tokens: number;
  #at = Date.now();

  constructor(limit: RateLimit) {
    this.#capacity = limit.requests;
    this.#perMs = limit.perMs;
    this.#tokens = limit.requests;
  }

  /** Takes one token; false when none is left. */
  take(): boolean {
    const now = Date.now();
    const refill = ((now - this.#at) * this.#capacity) / this.#perMs;
    this.#at = now;
    this.#tokens = Math.min(this.#capacity, this.#tokens + refill);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
