import type { JsMsg } from '@nats-io/jetstream';
import type { LocalMembership, Logger, ServerInfo } from 'shaddock';
import { decodeRecord, type MemberRecord, sameBytes } from './membership-record.js';
import type { RepeatedLog } from './membership-repeats.js';
import { bucketKeySubject } from './subjects.js';

/** The clocks of failure detection, in milliseconds. */
export interface MembershipTiming {
  /** How often a ready server puts its entry again: its heartbeat (default 250). */
  readonly heartbeatMs: number;
  /** How long a member may stay silent before every other server drops it (default 750). */
  readonly expireMs: number;
  /** How often silences are checked (default 50). */
  readonly sweepMs: number;
  /** The bucket's max age: how long a dead server's entry can still greet a newcomer (default 1 000). */
  readonly bucketTtlMs: number;
}

/**
 * Detection within 1 s: a member silent for three heartbeats is dropped at the next check, at most
 * 800 ms after it was last heard (a heartbeat may be 500 ms late before that happens).
 */
export const DEFAULT_MEMBERSHIP_TIMING: MembershipTiming = Object.freeze({
  heartbeatMs: 250,
  expireMs: 750,
  sweepMs: 50,
  bucketTtlMs: 1_000,
});

/** The process behind a member, beside its `ServerInfo`. */
export type MemberProcess = Pick<MemberRecord, 'pid' | 'startedAt' | 'incarnation'>;

/** Another process that announces this server's id, as last heard. */
export interface Rival {
  readonly heardAt: number;
  readonly pid: number;
  readonly host: string;
}

interface Member {
  server: ServerInfo;
  process: MemberProcess;
  /** The entry's bytes: a heartbeat with the same bytes only refreshes `heardAt`. */
  bytes: Uint8Array;
  /** When this process last heard of it (`performance.now()`). */
  heardAt: number;
}

/** What a {@link MemberTable} is made with. */
export interface MemberTableOptions {
  /** The view it keeps up to date (announcing each arrival and departure). */
  readonly view: LocalMembership;
  readonly bucket: string;
  readonly self: ServerInfo;
  readonly incarnation: string;
  readonly timing: MembershipTiming;
  readonly logger: Logger;
  readonly repeats: RepeatedLog;
  /** Someone deleted this server's entry while it was announced: put it back. */
  readonly onOwnDeleted: () => void;
}

/**
 * The other members as the bucket's watch tells of them, and when each was last heard: turns
 * deliveries into arrivals and departures of the view, and drops members gone silent. The hot
 * path is a heartbeat, whose bytes equal the last ones: one map lookup and one comparison.
 */
export class MemberTable {
  readonly #options: MemberTableOptions;
  readonly #ownSubject: string;
  readonly #keyOffset: number;
  // by their entry's subject, which each delivery carries: no key to slice per heartbeat
  readonly #members = new Map<string, Member>();
  #lastSweep = performance.now();
  #rival: Rival | undefined;
  /** This server's entry once it is announced; `undefined` before and after. */
  ownBytes: Uint8Array | undefined;

  constructor(options: MemberTableOptions) {
    this.#options = options;
    this.#ownSubject = bucketKeySubject(options.bucket, options.self.id);
    this.#keyOffset = bucketKeySubject(options.bucket, '').length;
  }

  /** The last other process heard announcing this server's id, if any. */
  get rival(): Rival | undefined {
    return this.#rival;
  }

  /** The process behind member `id`, if known (not this server). */
  process(id: string): MemberProcess | undefined {
    return this.#members.get(bucketKeySubject(this.#options.bucket, id))?.process;
  }

  /** One delivery of the watch: a heartbeat (most often), a new or changed member, or a goodbye. */
  take(entry: JsMsg): void {
    try {
      const subject = entry.subject;
      const operation = entry.headers?.get('KV-Operation');
      const deleted =
        operation === 'DEL' || operation === 'PURGE' || entry.headers?.has('Nats-Marker-Reason') === true;
      if (subject === this.#ownSubject) {
        this.#takeOwn(entry, deleted);
        return;
      }
      const member = this.#members.get(subject);
      if (deleted) {
        if (member) this.#drop(subject, member);
        return;
      }
      const now = performance.now();
      if (member !== undefined && sameBytes(member.bytes, entry.data)) {
        member.heardAt = now;
        return;
      }
      this.#takeNews(subject, member, entry.data, now);
    } catch (error) {
      this.#options.repeats.log('error', 'entry', { err: error }, 'handling a members bucket entry failed');
    }
  }

  /**
   * Drops every member silent for longer than `expireMs` (with `evict`; a held view only keeps
   * time). When this process itself stood still (SIGSTOP, a long pause), the silence was its own:
   * every member gets the lost time back instead.
   */
  sweep(evict: boolean): void {
    const now = performance.now();
    const { sweepMs, expireMs } = this.#options.timing;
    const late = now - this.#lastSweep - sweepMs;
    this.#lastSweep = now;
    if (!evict) return;
    if (late > sweepMs) {
      for (const member of this.#members.values()) member.heardAt = Math.min(now, member.heardAt + late);
      if (late > this.#options.timing.heartbeatMs) {
        this.#options.repeats.log(
          'info',
          'stalled',
          { stalledMs: Math.round(late) },
          'the event loop stood still; members get the time back',
        );
      }
      return;
    }
    try {
      for (const [subject, member] of this.#members) {
        if (now - member.heardAt <= expireMs) continue;
        this.#options.logger.info(
          { member: member.server.id, silentMs: Math.round(now - member.heardAt) },
          'member silent: removed',
        );
        this.#drop(subject, member);
      }
    } catch (error) {
      this.#options.repeats.log('error', 'listener', { err: error }, 'a membership listener threw');
    }
  }

  /** Starts timing sweeps from now (the sweep timer starts). */
  restartClock(): void {
    this.#lastSweep = performance.now();
  }

  /** Gives every member a fresh window (NATS is back after an outage nobody could be heard in). */
  refresh(): void {
    const now = performance.now();
    for (const member of this.#members.values()) member.heardAt = now;
  }

  /** A new member, a restart under a known id, a changed entry, or something that is no member. */
  #takeNews(subject: string, member: Member | undefined, data: Uint8Array, now: number): void {
    const key = subject.slice(this.#keyOffset);
    const record = decodeRecord(key, data);
    if (typeof record === 'string') {
      this.#options.repeats.log(
        'warn',
        `bad entry: ${record}`,
        { key, problem: record },
        'dropped an entry of the members bucket that is no member',
      );
      return;
    }
    const { view } = this.#options;
    if (member !== undefined && member.process.incarnation === record.incarnation) {
      // the same process changed its entry: no news for listeners
      member.server = record.server;
      member.bytes = data.slice();
      member.heardAt = now;
      view.add(record.server);
      return;
    }
    // a restart under a known id is a departure, then an arrival
    if (member !== undefined) this.#drop(subject, member);
    const { pid, startedAt, incarnation } = record;
    const arrival = { server: record.server, process: { pid, startedAt, incarnation }, bytes: data.slice() };
    this.#members.set(subject, { ...arrival, heardAt: now });
    view.add(record.server);
  }

  /** This server's own entry: deleted by someone else, or claimed by another process. */
  #takeOwn(entry: JsMsg, deleted: boolean): void {
    const { self, repeats } = this.#options;
    if (deleted) {
      this.#rival = undefined;
      if (this.ownBytes === undefined) return;
      repeats.log('warn', 'own entry deleted', {}, "this server's entry was deleted; putting it back");
      this.#options.onOwnDeleted();
      return;
    }
    if (this.ownBytes !== undefined && sameBytes(this.ownBytes, entry.data)) return;
    const record = decodeRecord(self.id, entry.data);
    if (typeof record === 'string' || record.incarnation === this.#options.incarnation) return;
    // another process under this id: a predecessor that crashed (it falls silent), or a duplicate
    this.#rival = { heardAt: performance.now(), pid: record.pid, host: record.server.host };
    if (this.ownBytes !== undefined) {
      repeats.log(
        'error',
        'own id claimed',
        { otherPid: record.pid, otherHost: record.server.host },
        `another process announces itself as ${self.id}: server ids must be unique`,
      );
    }
  }

  #drop(subject: string, member: Member): void {
    this.#members.delete(subject);
    this.#options.view.remove(member.server.id);
  }
}
