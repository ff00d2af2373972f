/**
 * What the eviction benchmark's membership processes tell the orchestrator, beside the `ready` and
 * `stop` every benchmark child exchanges (the RPC benchmark's `BenchChild`): each `add` and `remove`
 * their membership view announces, stamped on the machine's monotonic clock.
 */

/** One change of a membership view, as the process that holds the view saw it. */
export interface MembershipNews {
  readonly kind: 'scale-membership';
  readonly event: 'add' | 'remove';
  /** The server added or removed. */
  readonly id: string;
  /**
   * When the view announced it: `process.hrtime.bigint()` in ns, as a decimal string. That clock
   * is CLOCK_MONOTONIC, the same in every process of the machine, so the orchestrator subtracts
   * its own readings from it.
   */
  readonly at: string;
}

/** A membership news message, or `undefined` when `value` is none. */
export function readMembershipNews(value: unknown): MembershipNews | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { kind, event, id, at } = value as Record<string, unknown>;
  if (kind !== 'scale-membership' || (event !== 'add' && event !== 'remove')) return undefined;
  if (typeof id !== 'string' || typeof at !== 'string' || !/^\d+$/.test(at)) return undefined;
  return { kind, event, id, at };
}
