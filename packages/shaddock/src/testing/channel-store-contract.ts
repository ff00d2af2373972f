import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChannelStore } from '../channel/index.js';

/**
 * The ONE contract suite of the {@link ChannelStore} interface: every driver (memory, Redis)
 * passes it. `makeStore` is called once per test and must give an empty store (a shared store: a
 * fresh prefix or database); `closeStore`, when given, ends it after the test. Every answer is
 * awaited, so synchronous and asynchronous stores run the same tests.
 *
 * @example
 * describeChannelStoreContract('memory', () => new MemoryChannelStore());
 */
export function describeChannelStoreContract(
  name: string,
  makeStore: () => ChannelStore | Promise<ChannelStore>,
  closeStore?: (store: ChannelStore) => void | Promise<void>,
): void {
  describe(`ChannelStore contract: ${name}`, () => {
    let store: ChannelStore;

    beforeEach(async () => {
      store = await makeStore();
    });

    afterEach(async () => {
      await closeStore?.(store);
    });

    /** The grouped members as plain sorted data, so any map and array types compare. */
    async function grouped(channel: string): Promise<Record<string, string[]>> {
      const groups = await store.membersByFrontend(channel);
      const result: Record<string, string[]> = {};
      for (const [frontendId, uids] of groups) result[frontendId] = [...uids].sort();
      return result;
    }

    async function members(channel: string): Promise<string[]> {
      return [...(await store.members(channel))].sort();
    }

    it('says whether it is shared', () => {
      expect(typeof store.shared).toBe('boolean');
    });

    it('adds members and finds them by uid, by frontend and by channel', async () => {
      expect(await store.add('room', 'ann', 'connector-1')).toBe(true);
      expect(await store.add('room', 'bob', 'connector-1')).toBe(true);
      expect(await store.add('room', 'cid', 'connector-2')).toBe(true);
      expect(await store.frontendOf('room', 'ann')).toBe('connector-1');
      expect(await store.frontendOf('room', 'cid')).toBe('connector-2');
      expect(await store.frontendOf('room', 'dan')).toBeUndefined();
      expect(await store.count('room')).toBe(3);
      expect(await members('room')).toEqual(['ann', 'bob', 'cid']);
      expect([...(await store.membersOnFrontend('room', 'connector-1'))].sort()).toEqual(['ann', 'bob']);
      expect([...(await store.membersOnFrontend('room', 'connector-2'))]).toEqual(['cid']);
      expect([...(await store.membersOnFrontend('room', 'connector-3'))]).toEqual([]);
      expect(await grouped('room')).toEqual({ 'connector-1': ['ann', 'bob'], 'connector-2': ['cid'] });
    });

    it('adds a member once: the same add again changes nothing', async () => {
      await store.add('room', 'ann', 'connector-1');
      expect(await store.add('room', 'ann', 'connector-1')).toBe(false);
      expect(await store.count('room')).toBe(1);
      expect(await grouped('room')).toEqual({ 'connector-1': ['ann'] });
    });

    it('moves a member added through another frontend', async () => {
      await store.add('room', 'ann', 'connector-1');
      await store.add('room', 'bob', 'connector-1');
      expect(await store.add('room', 'ann', 'connector-2')).toBe(true);
      expect(await store.frontendOf('room', 'ann')).toBe('connector-2');
      expect(await store.count('room')).toBe(2);
      expect(await grouped('room')).toEqual({ 'connector-1': ['bob'], 'connector-2': ['ann'] });
    });

    it('removes members; a stale remove from a frontend the member left does nothing', async () => {
      await store.add('room', 'ann', 'connector-1');
      await store.add('room', 'bob', 'connector-2');
      expect(await store.remove('room', 'ann', 'connector-2')).toBe(false);
      expect(await store.frontendOf('room', 'ann')).toBe('connector-1');
      expect(await store.remove('room', 'ann', 'connector-1')).toBe(true);
      expect(await store.remove('room', 'ann', 'connector-1')).toBe(false);
      expect(await store.remove('room', 'nobody')).toBe(false);
      expect(await store.remove('hall', 'bob')).toBe(false);
      expect(await store.remove('room', 'bob')).toBe(true);
      expect(await store.count('room')).toBe(0);
      expect(await members('room')).toEqual([]);
      expect(await grouped('room')).toEqual({});
    });

    it('drops a frontend from the groups when its last member leaves or moves', async () => {
      await store.add('room', 'ann', 'connector-1');
      await store.add('room', 'bob', 'connector-2');
      await store.remove('room', 'ann');
      expect(await grouped('room')).toEqual({ 'connector-2': ['bob'] });
      await store.add('room', 'bob', 'connector-3');
      expect(await grouped('room')).toEqual({ 'connector-3': ['bob'] });
    });

    it('keeps channels apart, lists the ones with members, and forgets an emptied one', async () => {
      await store.add('room', 'ann', 'connector-1');
      await store.add('hall', 'ann', 'connector-2');
      await store.add('hall', 'bob', 'connector-2');
      expect([...(await store.channels())].sort()).toEqual(['hall', 'room']);
      expect(await store.frontendOf('room', 'ann')).toBe('connector-1');
      expect(await store.frontendOf('hall', 'ann')).toBe('connector-2');
      await store.remove('room', 'ann');
      expect(await store.count('hall')).toBe(2);
      expect([...(await store.channels())]).toEqual(['hall']);
    });

    it('destroys a channel with every member, leaving the others', async () => {
      await store.add('room', 'ann', 'connector-1');
      await store.add('room', 'bob', 'connector-2');
      await store.add('hall', 'ann', 'connector-1');
      await store.destroy('room');
      await store.destroy('missing');
      expect(await store.count('room')).toBe(0);
      expect(await members('room')).toEqual([]);
      expect(await grouped('room')).toEqual({});
      expect(await store.frontendOf('room', 'ann')).toBeUndefined();
      expect([...(await store.channels())]).toEqual(['hall']);
      expect(await store.add('room', 'ann', 'connector-1')).toBe(true);
      expect(await grouped('room')).toEqual({ 'connector-1': ['ann'] });
    });

    it('answers for an unknown channel with nothing', async () => {
      expect(await store.count('nowhere')).toBe(0);
      expect(await members('nowhere')).toEqual([]);
      expect(await grouped('nowhere')).toEqual({});
      expect([...(await store.membersOnFrontend('nowhere', 'connector-1'))]).toEqual([]);
      expect(await store.frontendOf('nowhere', 'ann')).toBeUndefined();
      expect([...(await store.channels())]).toEqual([]);
    });

    it('keeps a grouped answer as it was when members change afterwards', async () => {
      await store.add('room', 'ann', 'connector-1');
      const before = await store.membersByFrontend('room');
      const list = before.get('connector-1');
      const copy = list === undefined ? undefined : [...list];
      await store.add('room', 'bob', 'connector-1');
      await store.remove('room', 'ann');
      expect(list === undefined ? undefined : [...list]).toEqual(copy);
      expect(await grouped('room')).toEqual({ 'connector-1': ['bob'] });
    });

    it('holds many members over many frontends', async () => {
      const expected: Record<string, string[]> = {};
      const writes: Array<boolean | Promise<boolean>> = [];
      for (let index = 0; index < 1_000; index++) {
        const uid = `user-${String(index).padStart(4, '0')}`;
        const frontendId = `connector-${index % 7}`;
        expected[frontendId] = [...(expected[frontendId] ?? []), uid];
        writes.push(store.add('crowd', uid, frontendId));
      }
      await Promise.all(writes);
      expect(await store.count('crowd')).toBe(1_000);
      expect(await grouped('crowd')).toEqual(expected);
      const removals: Array<boolean | Promise<boolean>> = [];
      for (let index = 0; index < 1_000; index += 2) {
        removals.push(store.remove('crowd', `user-${String(index).padStart(4, '0')}`));
      }
      expect(await Promise.all(removals)).toEqual(new Array(500).fill(true));
      expect(await store.count('crowd')).toBe(500);
      expect((await members('crowd'))[0]).toBe('user-0001');
    });
  });
}
