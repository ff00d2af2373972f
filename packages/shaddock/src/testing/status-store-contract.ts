import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StatusEntry, StatusStore } from '../session/index.js';

/**
 * The ONE contract suite of the {@link StatusStore} interface: every driver (memory, Redis)
 * passes it. `makeStore` is called once per test and must give an empty store (a shared store: a
 * fresh prefix or database); `closeStore`, when given, ends it after the test. Every answer is
 * awaited, so synchronous and asynchronous stores run the same tests.
 *
 * @example
 * describeStatusStoreContract('memory', () => new MemoryStatusStore());
 */
export function describeStatusStoreContract(
  name: string,
  makeStore: () => StatusStore | Promise<StatusStore>,
  closeStore?: (store: StatusStore) => void | Promise<void>,
): void {
  describe(`StatusStore contract: ${name}`, () => {
    let store: StatusStore;

    beforeEach(async () => {
      store = await makeStore();
    });

    afterEach(async () => {
      await closeStore?.(store);
    });

    /** The entries of `uid` as plain sorted data. */
    async function lookup(uid: string): Promise<StatusEntry[]> {
      const entries = await store.lookup(uid);
      return entries
        .map((entry) => ({ frontendId: entry.frontendId, sessionId: entry.sessionId }))
        .sort((a, b) => a.frontendId.localeCompare(b.frontendId) || a.sessionId - b.sessionId);
    }

    it('says whether it is shared', () => {
      expect(typeof store.shared).toBe('boolean');
    });

    it('finds nothing for an unknown uid', async () => {
      expect(await lookup('nobody')).toEqual([]);
    });

    it('records every session of a uid, on one frontend and on several', async () => {
      await store.add('ann', 'connector-1', 1);
      await store.add('ann', 'connector-1', 2);
      await store.add('ann', 'connector-2', 1);
      await store.add('bob', 'connector-2', 3);
      expect(await lookup('ann')).toEqual([
        { frontendId: 'connector-1', sessionId: 1 },
        { frontendId: 'connector-1', sessionId: 2 },
        { frontendId: 'connector-2', sessionId: 1 },
      ]);
      expect(await lookup('bob')).toEqual([{ frontendId: 'connector-2', sessionId: 3 }]);
    });

    it('records a session once: the same add again changes nothing', async () => {
      await store.add('ann', 'connector-1', 1);
      await store.add('ann', 'connector-1', 1);
      expect(await lookup('ann')).toEqual([{ frontendId: 'connector-1', sessionId: 1 }]);
    });

    it('removes one session, leaving the uid its others; removing what is not there does nothing', async () => {
      await store.add('ann', 'connector-1', 1);
      await store.add('ann', 'connector-2', 1);
      await store.remove('ann', 'connector-1', 1);
      expect(await lookup('ann')).toEqual([{ frontendId: 'connector-2', sessionId: 1 }]);
      await store.remove('ann', 'connector-1', 1);
      await store.remove('ann', 'connector-2', 9);
      await store.remove('nobody', 'connector-2', 1);
      expect(await lookup('ann')).toEqual([{ frontendId: 'connector-2', sessionId: 1 }]);
      await store.remove('ann', 'connector-2', 1);
      expect(await lookup('ann')).toEqual([]);
    });

    it('forgets every session of a frontend that died, and nothing else', async () => {
      await store.add('ann', 'connector-1', 1);
      await store.add('ann', 'connector-2', 2);
      await store.add('bob', 'connector-1', 3);
      await store.add('cid', 'connector-2', 4);
      await store.removeFrontend('connector-1');
      expect(await lookup('ann')).toEqual([{ frontendId: 'connector-2', sessionId: 2 }]);
      expect(await lookup('bob')).toEqual([]);
      expect(await lookup('cid')).toEqual([{ frontendId: 'connector-2', sessionId: 4 }]);
      await store.removeFrontend('connector-1');
      await store.removeFrontend('connector-9');
      expect(await lookup('cid')).toEqual([{ frontendId: 'connector-2', sessionId: 4 }]);
      // the frontend comes back: its new sessions are recorded as before
      await store.add('bob', 'connector-1', 1);
      expect(await lookup('bob')).toEqual([{ frontendId: 'connector-1', sessionId: 1 }]);
    });

    it('keeps a lookup answer as it was when the uid changes afterwards', async () => {
      await store.add('ann', 'connector-1', 1);
      const before = await store.lookup('ann');
      const copy = before.map((entry) => ({ ...entry }));
      await store.add('ann', 'connector-2', 2);
      await store.remove('ann', 'connector-1', 1);
      expect(before.map((entry) => ({ ...entry }))).toEqual(copy);
    });

    it('holds many uids over many frontends', async () => {
      const writes: Array<void | Promise<void>> = [];
      for (let index = 0; index < 1_000; index++) {
        writes.push(store.add(`user-${index}`, `connector-${index % 5}`, index));
      }
      await Promise.all(writes);
      expect(await lookup('user-7')).toEqual([{ frontendId: 'connector-2', sessionId: 7 }]);
      await store.removeFrontend('connector-0');
      const answers = await Promise.all(
        Array.from({ length: 1_000 }, (_, index) => store.lookup(`user-${index}`)),
      );
      const online = answers.filter((entries) => entries.length > 0).length;
      expect(online).toBe(800);
      expect(await lookup('user-5')).toEqual([]);
    });
  });
}
