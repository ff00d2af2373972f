import type { Logger } from 'shaddock';

/** What a drop line says besides its reason: the subject, the peer, what was wrong. */
export type DropFields = Readonly<Record<string, unknown>>;

/** Why the NATS RPC link dropped a message it received. */
export const DropReason = {
  /** Shorter than a header, or of an unknown kind: not the link's. */
  Malformed: 'malformed',
  /** An open request or reply that does not parse. */
  MalformedOpen: 'malformed-open',
  /** For a connection this link does not have (closed meanwhile, or foreign). */
  UnknownConnection: 'unknown-connection',
  /** A gap in a connection's sequence: NATS lost a message; the connection is closed. */
  Lost: 'lost',
  /** Reported by the NATS client on a subscription (a permission violation). */
  Subscription: 'subscription-error',
  /** A connection whose client did not prove it knows the cluster secret: closed, nothing of it run. */
  Unauthenticated: 'unauthenticated',
  /** An open request while too many connections wait for their client's proof. */
  Busy: 'busy',
  /** A message of a connection whose MAC is wrong (forged), or one it already had (replayed). */
  Forged: 'forged',
} as const;

/** One of {@link DropReason}'s values. */
export type DropReason = (typeof DropReason)[keyof typeof DropReason];

// Stray messages for a connection that just closed are part of normal life: debug, not warn.
const LEVELS: Readonly<Record<DropReason, 'debug' | 'warn'>> = {
  malformed: 'warn',
  'malformed-open': 'warn',
  'unknown-connection': 'debug',
  lost: 'warn',
  'subscription-error': 'warn',
  unauthenticated: 'warn',
  busy: 'warn',
  forged: 'warn',
};

const WINDOW_MS = 10_000;

/**
 * Counts what the link drops, and logs it without letting a flood of foreign messages write one
 * line each: the first of a reason in full, then one line per window with the count.
 */
export class DropLog {
  readonly #logger: Logger;
  readonly #counts = new Map<DropReason, { total: number; unlogged: number; since: number }>();
  #total = 0;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Messages dropped so far, all reasons together. */
  get total(): number {
    return this.#total;
  }

  /** Messages dropped so far for `reason`. */
  count(reason: DropReason): number {
    return this.#counts.get(reason)?.total ?? 0;
  }

  /** Counts one dropped message; logs it unless a line for `reason` was written in the window. */
  drop(reason: DropReason, fields: DropFields): void {
    this.#total++;
    let entry = this.#counts.get(reason);
    if (entry === undefined) {
      entry = { total: 0, unlogged: 0, since: Number.NEGATIVE_INFINITY };
      this.#counts.set(reason, entry);
    }
    entry.total++;
    const level = LEVELS[reason];
    if (!this.#logger.isLevelEnabled(level)) return;
    const now = performance.now();
    if (now - entry.since < WINDOW_MS) {
      entry.unlogged++;
      return;
    }
    const repeated = entry.unlogged;
    entry.unlogged = 0;
    entry.since = now;
    this.#logger[level](
      repeated > 0 ? { reason, ...fields, repeated } : { reason, ...fields },
      'RPC over NATS dropped a message',
    );
  }
}
