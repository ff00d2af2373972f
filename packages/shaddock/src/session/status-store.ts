import type { SessionData } from './session-data.js';

/** Where one session of a user is: its frontend and its id there. */
export interface StatusEntry {
  readonly frontendId: string;
  readonly sessionId: SessionData['id'];
}

/**
 * Who is online where: the bound sessions of every uid, by frontend (Pomelo's status plugin). A
 * replaceable driver, chosen at start-up (`createApp({ drivers: { statusStore } })`); the default
 * is {@link MemoryStatusStore}, this process only. Frontends write to it as sessions bind, unbind
 * and close; `BackendSessionService.findByUid` reads it when it is `shared` (Redis), and asks
 * every frontend otherwise.
 *
 * Every method may answer synchronously or with a promise: callers await only a promise. Rules
 * every implementation keeps (the contract suite `describeStatusStoreContract` in
 * `shaddock/testing` checks them): adding an entry that is there changes nothing; removing one that
 * is not there does nothing; writes made by one caller apply in the order they were made.
 */
export interface StatusStore {
  /** Whether every process sees the same records (Redis), or each has its own (memory). */
  readonly shared: boolean;
  /** Records that `uid` has the session `sessionId` on `frontendId`. */
  add(uid: string, frontendId: string, sessionId: SessionData['id']): void | Promise<void>;
  /** Forgets that session of `uid`. */
  remove(uid: string, frontendId: string, sessionId: SessionData['id']): void | Promise<void>;
  /** Forgets every session on `frontendId` (it stopped or died). */
  removeFrontend(frontendId: string): void | Promise<void>;
  /** The sessions of `uid`, in the order they were added; none for an unknown uid. */
  lookup(uid: string): readonly StatusEntry[] | Promise<readonly StatusEntry[]>;
  /** Opens what the store needs (its connection), before the server's components start; rejects naming what is unreachable. */
  connect?(): void | Promise<void>;
  /** Releases what the store holds open (its connection); called once, as the server stops. */
  close?(): void | Promise<void>;
}

const NO_ENTRIES: readonly StatusEntry[] = Object.freeze([]);

/**
 * The default {@link StatusStore}: this process's memory, every answer synchronous. On a frontend
 * it knows that frontend's sessions only, so it is not `shared`.
 *
 * @example
 * const status = new MemoryStatusStore();
 * status.add('ann', 'connector-1', 7);
 * status.lookup('ann'); // [{ frontendId: 'connector-1', sessionId: 7 }]
 */
export class MemoryStatusStore implements StatusStore {
  readonly shared: boolean = false;
  /** Entries by uid; each array is replaced, never changed in place (a lookup's answer stays as it was). */
  readonly #byUid = new Map<string, readonly StatusEntry[]>();
  /** The uids with a session on each frontend. */
  readonly #uidsByFrontend = new Map<string, Set<string>>();

  add(uid: string, frontendId: string, sessionId: SessionData['id']): void {
    const entries = this.#byUid.get(uid) ?? NO_ENTRIES;
    if (entries.some((entry) => entry.frontendId === frontendId && entry.sessionId === sessionId)) return;
    this.#byUid.set(uid, [...entries, { frontendId, sessionId }]);
    let uids = this.#uidsByFrontend.get(frontendId);
    if (uids === undefined) {
      uids = new Set();
      this.#uidsByFrontend.set(frontendId, uids);
    }
    uids.add(uid);
  }

  remove(uid: string, frontendId: string, sessionId: SessionData['id']): void {
    const entries = this.#byUid.get(uid);
    if (entries === undefined) return;
    const rest = entries.filter((entry) => entry.frontendId !== frontendId || entry.sessionId !== sessionId);
    if (rest.length === entries.length) return;
    this.#set(uid, rest);
    if (!rest.some((entry) => entry.frontendId === frontendId)) {
      const uids = this.#uidsByFrontend.get(frontendId);
      uids?.delete(uid);
      if (uids?.size === 0) this.#uidsByFrontend.delete(frontendId);
    }
  }

  removeFrontend(frontendId: string): void {
    const uids = this.#uidsByFrontend.get(frontendId);
    if (uids === undefined) return;
    this.#uidsByFrontend.delete(frontendId);
    for (const uid of uids) {
      const entries = this.#byUid.get(uid) ?? NO_ENTRIES;
      this.#set(
        uid,
        entries.filter((entry) => entry.frontendId !== frontendId),
      );
    }
  }

  lookup(uid: string): readonly StatusEntry[] {
    return this.#byUid.get(uid) ?? NO_ENTRIES;
  }

  #set(uid: string, entries: readonly StatusEntry[]): void {
    if (entries.length === 0) this.#byUid.delete(uid);
    else this.#byUid.set(uid, entries);
  }
}
