import { isIP } from 'node:net';
import { normalizeIp } from './transport.js';

/** The connector's IP blacklist: clients from these addresses are closed as they connect. */
export interface Blacklist {
  /** Refuses `ip` from now on (connections already open stay). */
  add(ip: string): void;
  /** Stops refusing `ip`; false when it was not added (patterns from the config stay). */
  delete(ip: string): boolean;
  /** True when a client from `ip` is refused: added, or matched by a configured pattern. */
  has(ip: string): boolean;
}

/**
 * Exact addresses in a set, plus the configured regular expressions (Pomelo's blacklist holds
 * regex sources). IPv4-mapped IPv6 addresses match their IPv4 form.
 */
export class IpBlacklist implements Blacklist {
  readonly #ips = new Set<string>();
  readonly #patterns: RegExp[] = [];

  constructor(entries: Iterable<string | RegExp> = []) {
    this.addPatterns(entries);
  }

  /** Adds configured entries: exact addresses, or regular expressions (sources or `RegExp`s). */
  addPatterns(entries: Iterable<string | RegExp>): void {
    for (const entry of entries) {
      if (entry instanceof RegExp) this.#patterns.push(entry);
      else if (isIP(entry) !== 0) this.#ips.add(normalizeIp(entry));
      else this.#patterns.push(new RegExp(entry));
    }
  }

  add(ip: string): void {
    this.#ips.add(normalizeIp(ip));
  }

  delete(ip: string): boolean {
    return this.#ips.delete(normalizeIp(ip));
  }

  has(ip: string): boolean {
    const address = normalizeIp(ip);
    if (this.#ips.has(address)) return true;
    for (const pattern of this.#patterns) {
      pattern.lastIndex = 0;
      if (pattern.test(address)) return true;
    }
    return false;
  }

  /** True when nothing is listed: the connect path skips the lookup. */
  get empty(): boolean {
    return this.#ips.size === 0 && this.#patterns.length === 0;
  }
}
