import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import type { PlacementEntry, PlacementTable } from '../placement/index.js';
import { waitUntil } from './wait.js';

/**
 * What the placement contract runs against: views of ONE empty table, as two servers of one
 * cluster hold it (a table in memory: the same object twice; the master's: two servers' connections
 * to it; Redis: two stores on one fresh prefix), and what ends them after the test.
 */
export interface PlacementTableHarness {
  readonly tables: readonly [PlacementTable, PlacementTable];
  close(): Promise<void>;
}

/**
 * The ONE contract suite of the {@link PlacementTable} interface: every driver (memory, the
 * master's, Redis) passes it. `make` is called once per test.
 *
 * @example
 * describePlacementTableContract('memory', async () => {
 *   const table = new MemoryPlacementTable();
 *   return { tables: [table, table], close: async () => {} };
 * });
 */
export function describePlacementTableContract(
  name: string,
  make: () => Promise<PlacementTableHarness>,
): void {
  describe(`PlacementTable contract: ${name}`, () => {
    let harness: PlacementTableHarness;
    let one: PlacementTable;
    let other: PlacementTable;

    beforeEach(async () => {
      harness = await make();
      [one, other] = harness.tables;
    });

    afterEach(async () => {
      await harness.close();
    });

    /** The entries as plain sorted data. */
    function sorted(entries: readonly PlacementEntry[]): PlacementEntry[] {
      return entries
        .map(({ kind, key, owner }) => ({ kind, key, owner }))
        .sort((a, b) => a.kind.localeCompare(b.kind) || a.key.localeCompare(b.key));
    }

    it('says whether it is shared', () => {
      expect(typeof one.shared).toBe('boolean');
    });

    it('gives a free key to its first claimer, and that owner to every later claimer', async () => {
      expect(await one.owner('room', 'lobby')).toBeUndefined();
      expect(await one.claim('room', 'lobby', 'chat-1')).toEqual({ owner: 'chat-1' });
      expect(await other.claim('room', 'lobby', 'chat-2')).toEqual({ owner: 'chat-1' });
      expect(await one.claim('room', 'lobby', 'chat-3')).toEqual({ owner: 'chat-1' });
      expect(await other.owner('room', 'lobby')).toBe('chat-1');
      // kinds are apart: the same key of another kind is free
      expect(await other.claim('area', 'lobby', 'area-2')).toEqual({ owner: 'area-2' });
    });

    it('lets exactly one of many concurrent claimers win', async () => {
      const claims = await Promise.all(
        Array.from({ length: 40 }, (_, index) =>
          (index % 2 === 0 ? one : other).claim('room', 'contested', `chat-${index}`),
        ),
      );
      const owners = new Set(claims.map((claim) => claim.owner));
      expect(owners.size).toBe(1);
      expect(await one.owner('room', 'contested')).toBe([...owners][0]);
    });

    it('releases a key only for its owner, after which the next claimer gets it', async () => {
      await one.claim('room', 'lobby', 'chat-1');
      expect(await other.release('room', 'lobby', 'chat-2')).toBe(false);
      expect(await one.owner('room', 'lobby')).toBe('chat-1');
      expect(await other.release('room', 'lobby', 'chat-1')).toBe(true);
      expect(await other.release('room', 'lobby', 'chat-1')).toBe(false);
      expect(await one.owner('room', 'lobby')).toBeUndefined();
      // released on purpose: no previous owner to re-create it from
      expect(await one.claim('room', 'lobby', 'chat-2')).toEqual({ owner: 'chat-2' });
      expect(await one.release('room', 'never-claimed', 'chat-1')).toBe(false);
    });

    it('lists the keys of each server', async () => {
      await one.claim('room', 'a', 'chat-1');
      await other.claim('room', 'b', 'chat-1');
      await one.claim('area', 'c', 'chat-1');
      await one.claim('room', 'd', 'chat-2');
      expect(sorted(await other.ownedBy('chat-1'))).toEqual([
        { kind: 'area', key: 'c', owner: 'chat-1' },
        { kind: 'room', key: 'a', owner: 'chat-1' },
        { kind: 'room', key: 'b', owner: 'chat-1' },
      ]);
      expect(sorted(await one.ownedBy('chat-2'))).toEqual([{ kind: 'room', key: 'd', owner: 'chat-2' }]);
      expect(await one.ownedBy('chat-9')).toEqual([]);
      await one.release('room', 'a', 'chat-1');
      expect(sorted(await one.ownedBy('chat-1')).map((entry) => entry.key)).toEqual(['c', 'b']);
    });

    it('frees every key of a server that left; the next claim of each says it, once', async () => {
      await one.claim('room', 'a', 'chat-9');
      await one.claim('room', 'b', 'chat-9');
      await one.claim('room', 'c', 'chat-2');
      expect(sorted(await other.releaseServer('chat-9'))).toEqual([
        { kind: 'room', key: 'a', owner: 'chat-9' },
        { kind: 'room', key: 'b', owner: 'chat-9' },
      ]);
      expect(await one.releaseServer('chat-9')).toEqual([]);
      expect(await one.ownedBy('chat-9')).toEqual([]);
      expect(await one.owner('room', 'c')).toBe('chat-2');
      expect(await one.claim('room', 'a', 'chat-3')).toEqual({ owner: 'chat-3', previousOwner: 'chat-9' });
      expect(await other.claim('room', 'a', 'chat-4')).toEqual({ owner: 'chat-3' });
      // released on purpose after its owner left: nothing to say any more
      await one.release('room', 'b', 'chat-9');
      expect(await other.claim('room', 'b', 'chat-4')).toEqual({ owner: 'chat-4' });
    });

    it('tells every view of the table of each release', async () => {
      const heard: PlacementEntry[] = [];
      const stop = other.watch((entry) =>
        heard.push({ kind: entry.kind, key: entry.key, owner: entry.owner }),
      );
      await one.claim('room', 'lobby', 'chat-1');
      await one.release('room', 'lobby', 'chat-2');
      await one.release('room', 'lobby', 'chat-1');
      await waitUntil(() => heard.length > 0, 5_000, 'the release is heard');
      expect(heard).toEqual([{ kind: 'room', key: 'lobby', owner: 'chat-1' }]);
      stop();
      await one.claim('room', 'lobby', 'chat-1');
      await one.release('room', 'lobby', 'chat-1');
      await one.owner('room', 'lobby');
      await other.owner('room', 'lobby');
      expect(heard).toHaveLength(1);
    });

    it('keeps keys with any characters apart', async () => {
      const keys = ['lobby', 'lob by', 'lob\nby', 'lobby\n', 'ロビー', 'a'.repeat(1024), 'room:1', '*'];
      for (const [index, key] of keys.entries()) await one.claim('room', key, `chat-${index}`);
      for (const [index, key] of keys.entries()) expect(await other.owner('room', key)).toBe(`chat-${index}`);
      expect(sorted(await other.ownedBy('chat-2'))).toEqual([
        { kind: 'room', key: 'lob\nby', owner: 'chat-2' },
      ]);
    });

    it('refuses a bad kind or key with a clear error, and stays whole', async () => {
      await one.claim('room', 'lobby', 'chat-1');
      for (const [kind, key] of [
        ['', 'lobby'],
        ['ro om', 'lobby'],
        ['room\n', 'lobby'],
        ['room', ''],
        ['room', 'a'.repeat(1025)],
      ] as const) {
        await expect(one.claim(kind, key, 'chat-2')).rejects.toMatchObject({
          code: ErrorCode.PlacementInvalid,
        });
      }
      await expect(one.claim('room', 'x', '')).rejects.toMatchObject({ code: ErrorCode.PlacementInvalid });
      expect(await other.claim('room', 'lobby', 'chat-2')).toEqual({ owner: 'chat-1' });
    });

    it('holds many keys', async () => {
      const claims = await Promise.all(
        Array.from({ length: 1_000 }, (_, index) => one.claim('room', `room-${index}`, `chat-${index % 4}`)),
      );
      expect(claims.every((claim, index) => claim.owner === `chat-${index % 4}`)).toBe(true);
      expect(await other.ownedBy('chat-1')).toHaveLength(250);
      expect(await other.releaseServer('chat-1')).toHaveLength(250);
      expect(await one.owner('room', 'room-1')).toBeUndefined();
      expect(await one.owner('room', 'room-2')).toBe('chat-2');
    });
  });
}
