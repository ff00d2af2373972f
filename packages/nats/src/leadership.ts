import { randomUUID } from 'node:crypto';
import type { KV, KvEntry, KvWatchEntry } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/transport-node';
import type { LeaderCandidate, Leadership, Logger } from 'shaddock';
import { RepeatedLog } from './membership-repeats.js';
import { within } from './membership-timers.js';

/** The clocks of the lease, in milliseconds. */
export interface LeaseTiming {
  /** How often the leader renews its lease (default 400). */
  readonly renewMs: number;
  /**
   * How long a standby waits without seeing the lease change before it takes over (default 1 500):
   * the longest a dead leader keeps the cluster without one.
   */
  readonly leaseMs: number;
  /**
   * How long the leader trusts a renewal, from when it sent it (default 1 000). Shorter than
   * `leaseMs`, so a leader that cannot renew (cut off, frozen) stops calling itself leader before a
   * standby may take over: never two leaders at once, as long as clocks run at about the same rate.
   */
  readonly trustMs: number;
  /** How often the lease is looked at (default 100). */
  readonly checkMs: number;
}

/** A standby leads at most ~1.6 s after the leader's death: one lease, one check, one write. */
export const DEFAULT_LEASE_TIMING: LeaseTiming = Object.freeze({
  renewMs: 400,
  leaseMs: 1_500,
  trustMs: 1_000,
  checkMs: 100,
});

/** What the lease key holds (JSON, readable with `nats kv get`). */
interface Lease {
  readonly v: 1;
  readonly leader: LeaderCandidate;
  /** Unique per campaign: tells this process's lease from an earlier one under the same id. */
  readonly term: string;
  /** Counts renewals (each one writes new bytes). */
  readonly renewals: number;
}

/** What {@link KvLeadership.campaign} needs. */
export interface KvLeadershipOptions {
  /** Opens (or makes) the bucket; called again after a failure that may have lost it (a NATS restart). */
  readonly open: () => Promise<KV>;
  /** The key of the lease in that bucket. */
  readonly key: string;
  readonly candidate: LeaderCandidate;
  readonly onChange: (leader: LeaderCandidate | undefined, self: boolean) => void;
  readonly logger: Logger;
  readonly timing?: Partial<LeaseTiming>;
}

const RETRY_WATCH_MS = 1_000;

/**
 * Leader election on one key of a JetStream KV bucket, with a lease and compare-and-set writes
 * (NATS 2.9 has no per-message TTL, so the lease ages by what each process sees, never by comparing
 * clocks across hosts). The leader renews the key every `renewMs` with `update(key, value,
 * revision)`. A standby watches the key; when it has not changed for `leaseMs` by the standby's own
 * monotonic clock, it writes itself in with `update` at that revision: only one standby can win
 * that write, and a leader that renewed meanwhile makes it fail. Every update reads the key first
 * and writes only over the very lease it saw (campaign and renewal count, not just the revision: a
 * NATS restart loses the memory bucket and counts revisions from 1 again). A leader that resigns
 * deletes the key, and a standby takes over at once with `create`. A leader that could not renew
 * for `trustMs` stops saying it leads before any standby may take over.
 *
 * @example
 * const leadership = await KvLeadership.campaign({ open, key: 'leader', candidate, onChange, logger });
 * if (leadership.isLeader()) …
 * await leadership.resign();
 */
export class KvLeadership implements Leadership {
  readonly #options: KvLeadershipOptions;
  readonly #timing: LeaseTiming;
  readonly #logger: Logger;
  readonly #repeats: RepeatedLog;
  readonly #term = randomUUID();
  #kv: KV | undefined;
  /** The last revision of the key seen (0: none yet). */
  #revision = 0;
  /** The lease at that revision; `undefined` when the key is absent or deleted. */
  #lease: Lease | undefined;
  /** When the lease seen last changed, by this process's monotonic clock. */
  #changedAt = performance.now();
  /** Until when this candidate may call itself leader (its last renewal's send time + `trustMs`). */
  #trustedUntil = 0;
  #lastWriteAt = Number.NEGATIVE_INFINITY;
  #renewals = 0;
  #writing: Promise<void> | undefined;
  #reopen = false;
  #timer: NodeJS.Timeout | undefined;
  #watch: QueuedIterator<KvWatchEntry> | undefined;
  #closed = false;
  #reported: string | undefined;

  private constructor(options: KvLeadershipOptions) {
    this.#options = options;
    this.#timing = { ...DEFAULT_LEASE_TIMING, ...options.timing };
    this.#logger = options.logger.child({ category: 'leadership' });
    this.#repeats = new RepeatedLog(this.#logger);
  }

  /** Joins the election; resolves once its first round is decided (this candidate leads, or it saw a lease). */
  static async campaign(options: KvLeadershipOptions): Promise<KvLeadership> {
    const leadership = new KvLeadership(options);
    await leadership.#begin();
    return leadership;
  }

  isLeader(): boolean {
    return !this.#closed && this.#holding() && performance.now() < this.#trustedUntil;
  }

  leader(): LeaderCandidate | undefined {
    if (this.#closed || this.#lease === undefined) return undefined;
    if (this.#holding()) return this.isLeader() ? this.#options.candidate : undefined;
    return this.#lease.leader;
  }

  async resign(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#watch?.stop();
    // a renewal in flight would move the revision under the delete
    await this.#writing;
    if (!this.#holding() || this.#kv === undefined) return;
    try {
      // our lease only, at its revision: never delete a lease someone else took meanwhile
      const { key } = this.#options;
      const current = await this.#bounded(this.#kv.get(key), 'get');
      if (current?.operation !== 'PUT' || !sameLease(readLease(current.value), this.#lease)) return;
      await this.#bounded(this.#kv.delete(key, { previousSeq: current.revision }), 'delete');
      this.#logger.info('resigned the leadership');
    } catch (error) {
      this.#logger.warn({ err: error }, 'could not give the lease up; a standby takes over once it is stale');
    }
  }

  async #begin(): Promise<void> {
    this.#kv = await this.#options.open();
    this.#see(await this.#kv.get(this.#options.key));
    if (this.#lease === undefined) await this.#write('create');
    this.#report();
    this.#timer = setInterval(() => this.#tick(), this.#timing.checkMs);
    this.#timer.unref();
    void this.#watchKey();
  }

  /** Whether the lease last seen is this campaign's. */
  #holding(): boolean {
    return this.#lease?.term === this.#term;
  }

  /** Takes in an entry of the key, if it is newer than what this process knows. */
  #see(entry: KvEntry | null): void {
    if (entry === null || entry.revision <= this.#revision) return;
    this.#revision = entry.revision;
    this.#changedAt = performance.now();
    this.#lease = entry.operation === 'PUT' ? readLease(entry.value) : undefined;
    // a resignation: take over now rather than at the next check
    if (this.#lease === undefined) queueMicrotask(() => this.#tick());
    // a write in flight reports when it settles (its own entry may come back before its answer)
    if (this.#writing === undefined) this.#report();
  }

  #tick(): void {
    if (this.#closed) return;
    this.#report();
    if (this.#writing) return;
    const now = performance.now();
    if (this.#holding()) {
      if (now - this.#lastWriteAt >= this.#timing.renewMs) void this.#write('update');
    } else if (this.#lease === undefined) {
      void this.#write('create');
    } else if (now - this.#changedAt >= this.#timing.leaseMs) {
      this.#logger.info(
        { leader: this.#lease.leader.id, silentMs: Math.round(now - this.#changedAt) },
        'the leader stopped renewing its lease: taking over',
      );
      void this.#write('update');
    }
  }

  /** One write at a time: create the key, or update it at the revision seen (renew, or take over). */
  #write(kind: 'create' | 'update'): Promise<void> {
    const writing = this.#attempt(kind).finally(() => {
      this.#writing = undefined;
      this.#report();
    });
    this.#writing = writing;
    return writing;
  }

  async #attempt(kind: 'create' | 'update'): Promise<void> {
    const sentAt = performance.now();
    this.#lastWriteAt = sentAt;
    const lease: Lease = {
      v: 1,
      leader: this.#options.candidate,
      term: this.#term,
      renewals: this.#renewals++,
    };
    const bytes = new TextEncoder().encode(JSON.stringify(lease));
    const { key } = this.#options;
    try {
      if (this.#reopen || this.#kv === undefined) {
        this.#kv = await this.#bounded(this.#options.open(), 'opening the bucket');
        this.#reopen = false;
      }
      const kv = this.#kv;
      let revision: number;
      if (kind === 'create') {
        revision = await this.#bounded(kv.create(key, bytes), 'create');
      } else {
        // a revision alone is no proof: a NATS restart loses a memory bucket and counts again from 1, so
        // the revision seen may name someone else's lease now; write only over the very lease seen
        const current = await this.#bounded(kv.get(key), 'get');
        if (current?.operation !== 'PUT' || !sameLease(readLease(current.value), this.#lease)) {
          this.#resync(current);
          return;
        }
        revision = await this.#bounded(kv.update(key, bytes, current.revision), 'update');
      }
      // a successful write is the key's latest value, whatever revision was seen before
      const won = !this.#holding();
      this.#changedAt = performance.now();
      this.#revision = revision;
      this.#lease = lease;
      this.#trustedUntil = sentAt + this.#timing.trustMs;
      if (won) this.#logger.info({ revision }, 'leading');
    } catch (error) {
      if (this.#closed) return;
      if (!isWrongSequence(error)) {
        // NATS unreachable, a timeout, a lost bucket: retried on a later check, on a reopened bucket
        this.#reopen = true;
        this.#repeats.log('warn', `write: ${kind}`, { err: error }, 'could not write the lease; retrying');
        return;
      }
      // someone else wrote first: read where the key stands now
      try {
        this.#resync(this.#kv === undefined ? null : await this.#bounded(this.#kv.get(key), 'get'));
      } catch (readError) {
        this.#repeats.log('warn', 'read', { err: readError }, 'could not read the lease');
      }
    }
  }

  /**
   * `operation`, or a rejection once the leader could no longer trust a renewal anyway: a request
   * made while NATS is away would otherwise wait out the client's timeout (5 s) and hold up the
   * next attempt once NATS is back.
   */
  #bounded<T>(operation: Promise<T>, what: string): Promise<T> {
    operation.catch(() => {});
    return within(operation, this.#timing.trustMs, `the lease's ${what}`);
  }

  /**
   * Takes the key as it stands, whatever revision this process saw before (a NATS restart loses a
   * memory bucket and starts its revisions again): after a write that lost a compare-and-set.
   */
  #resync(entry: KvEntry | null): void {
    const revision = entry?.revision ?? 0;
    const lease = entry?.operation === 'PUT' ? readLease(entry.value) : undefined;
    if (revision !== this.#revision || !sameLease(lease, this.#lease)) this.#changedAt = performance.now();
    this.#revision = revision;
    this.#lease = lease;
    this.#report();
  }

  /** Follows the key's changes (resignations are seen at once); restarted when it ends on its own. */
  async #watchKey(): Promise<void> {
    while (!this.#closed) {
      try {
        const kv = this.#kv ?? (await this.#options.open());
        const watch = await kv.watch({ key: this.#options.key });
        this.#watch = watch;
        if (this.#closed) watch.stop();
        for await (const entry of watch) this.#see(entry);
      } catch (error) {
        this.#repeats.log('warn', 'watch', { err: error }, 'the lease watch failed; retrying');
      }
      if (!this.#closed) await new Promise((resolve) => setTimeout(resolve, RETRY_WATCH_MS).unref());
    }
  }

  /** Calls `onChange` when the leader (or whether it is this candidate) changed since the last call. */
  #report(): void {
    if (this.#closed) return;
    const leader = this.leader();
    const self = this.isLeader();
    const state = `${leader?.id ?? ''}\u0000${self}`;
    if (state === this.#reported) return;
    this.#reported = state;
    try {
      this.#options.onChange(leader, self);
    } catch (error) {
      this.#logger.error({ err: error }, 'a leadership listener threw');
    }
  }
}

/** The lease in a key's value, or `undefined` when the value is none. */
function readLease(bytes: Uint8Array): Lease | undefined {
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as Partial<Lease> | null;
    if (value?.v !== 1 || typeof value.term !== 'string' || typeof value.leader?.id !== 'string')
      return undefined;
    return value as Lease;
  } catch {
    return undefined;
  }
}

/** Whether two leases are the same write (its campaign and its renewal); two absent leases are the same. */
function sameLease(a: Lease | undefined, b: Lease | undefined): boolean {
  return a?.term === b?.term && a?.renewals === b?.renewals;
}

/** Whether a KV write failed because the key was not at the revision given (someone wrote first). */
function isWrongSequence(error: unknown): boolean {
  return error instanceof Error && /wrong last sequence/i.test(error.message);
}
