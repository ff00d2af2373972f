import type { ChannelStore } from 'shaddock';
import { describeChannelStoreContract, recordingLogger } from 'shaddock/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisChannelStore } from './channel-store.js';
import { RedisErrorCode } from './errors.js';
import {
  clusterKeys,
  deleteClusterKeys,
  rawClient,
  redisUnavailable,
  TEST_REDIS_URL,
  uniqueCluster,
} from './test-kit.js';

const unavailable = await redisUnavailable();

/** A store on a cluster of its own, and how to clean it away. */
function makeStore(label = 'channel', cluster = uniqueCluster(label)) {
  const log = recordingLogger('warn');
  const store = new RedisChannelStore({ url: TEST_REDIS_URL, cluster, logger: log.logger });
  return { store, log, cluster };
}

async function dispose(store: ChannelStore): Promise<void> {
  if (store instanceof RedisChannelStore) await deleteClusterKeys(store.keys.cluster);
  await store.close?.();
}

if (unavailable === undefined) {
  describeChannelStoreContract('redis', () => makeStore().store, dispose);
}

describe.skipIf(unavailable !== undefined)('RedisChannelStore', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function store(label?: string, cluster?: string) {
    const made = makeStore(label, cluster);
    cleanups.push(() => dispose(made.store));
    return made;
  }

  function raw() {
    const client = rawClient();
    cleanups.push(async () => client.disconnect());
    return client;
  }

  it('keeps its keys under shaddock:<cluster>:, one hash per channel, apart from other clusters', async () => {
    const { store: one, cluster } = store('layout');
    const { store: two, cluster: other } = store('layout');
    await one.add('room', 'ann', 'connector-1');
    await one.add('room', 'bob', 'connector-2');
    await two.add('room', 'cid', 'connector-1');
    const client = raw();
    expect(await clusterKeys(client, cluster)).toEqual([
      `shaddock:${cluster}:channel:room`,
      `shaddock:${cluster}:channels`,
    ]);
    expect(await client.hgetall(`shaddock:${cluster}:channel:room`)).toEqual({
      ann: 'connector-1',
      bob: 'connector-2',
    });
    expect(await client.smembers(`shaddock:${cluster}:channels`)).toEqual(['room']);
    await one.destroy('room');
    expect(await clusterKeys(client, cluster)).toEqual([]);
    expect(await two.members('room')).toEqual(['cid']);
    expect(await clusterKeys(client, other)).toHaveLength(2);
  });

  it('takes channel names, uids and frontend ids of any text', async () => {
    const { store: redis } = store('names');
    const name = 'room:1 {x} ünï';
    await redis.add(name, 'uid:with:colons', 'connector:1');
    await redis.add(name, '__proto__', 'connector-2');
    expect(Object.fromEntries(await redis.membersByFrontend(name))).toEqual({
      'connector:1': ['uid:with:colons'],
      'connector-2': ['__proto__'],
    });
    expect(await redis.channels()).toEqual([name]);
  });

  it('applies one caller’s writes in the order they were made, without awaiting them', async () => {
    const { store: redis } = store('order');
    const writes: Promise<boolean>[] = [];
    for (let index = 0; index < 200; index++) {
      writes.push(redis.add('room', 'ann', `connector-${index % 3}`));
      if (index % 2 === 1) writes.push(redis.remove('room', 'ann'));
    }
    writes.push(redis.add('room', 'ann', 'connector-9'));
    await Promise.all(writes);
    expect(Object.fromEntries(await redis.membersByFrontend('room'))).toEqual({ 'connector-9': ['ann'] });
  });

  it('moves a uid atomically while two servers move it at once: it is always in one group', async () => {
    const { store: one, cluster } = store('move');
    const { store: two } = store('move', cluster);
    const writes: Promise<boolean>[] = [];
    for (let index = 0; index < 100; index++) {
      writes.push(one.add('room', 'ann', `connector-${index % 4}`));
      writes.push(two.add('room', 'ann', `connector-${(index + 2) % 4}`));
      if (index % 10 === 0) {
        const groups = await one.membersByFrontend('room');
        expect([...groups.values()].flat()).toEqual(['ann']);
      }
    }
    await Promise.all(writes);
    expect(await one.count('room')).toBe(1);
  });

  it('removes the channel from the list of channels when its last member leaves', async () => {
    const { store: redis, cluster } = store('last');
    await redis.add('room', 'ann', 'connector-1');
    await redis.add('hall', 'bob', 'connector-1');
    await redis.remove('room', 'ann', 'connector-1');
    const client = raw();
    expect(await client.smembers(`shaddock:${cluster}:channels`)).toEqual(['hall']);
    expect(await client.exists(`shaddock:${cluster}:channel:room`)).toBe(0);
  });

  it('ignores and logs malformed data under its keys, and refuses to write over it', async () => {
    const { store: redis, cluster, log } = store('malformed');
    const client = raw();
    const bad = `shaddock:${cluster}:channel:bad`;
    await client.set(bad, 'not a hash');
    expect(await redis.count('bad')).toBe(0);
    expect(await redis.members('bad')).toEqual([]);
    expect([...(await redis.membersByFrontend('bad'))]).toEqual([]);
    expect(await redis.membersOnFrontend('bad', 'connector-1')).toEqual([]);
    expect(await redis.frontendOf('bad', 'ann')).toBeUndefined();
    await expect(redis.add('bad', 'ann', 'connector-1')).rejects.toMatchObject({
      code: RedisErrorCode.CommandFailed,
      message: expect.stringContaining(bad),
    });
    await expect(redis.remove('bad', 'ann')).rejects.toMatchObject({ code: RedisErrorCode.CommandFailed });
    expect(await client.get(bad)).toBe('not a hash');
    // one line for many reads (rate-limited), naming the key
    const lines = log.lines().filter((line) => String(line['msg']).includes('malformed data'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ key: bad });

    // a member with an empty frontend id is skipped; the others are read
    await client.hset(`shaddock:${cluster}:channel:room`, { ann: 'connector-1', bob: '' });
    expect(Object.fromEntries(await redis.membersByFrontend('room'))).toEqual({ 'connector-1': ['ann'] });
    expect(await redis.frontendOf('room', 'bob')).toBeUndefined();

    // a broken list of channels: read as empty, and channels still work
    await client.set(`shaddock:${cluster}:channels`, 'broken');
    expect(await redis.channels()).toEqual([]);
    expect(await redis.add('hall', 'cid', 'connector-2')).toBe(true);
    expect(await redis.remove('hall', 'cid')).toBe(true);
  });

  it('refuses calls once closed, without closing the connection other stores share', async () => {
    const { store: one, cluster } = store('closed');
    const { store: two } = store('closed', cluster);
    expect(one.connection).toBe(two.connection);
    await one.add('room', 'ann', 'connector-1');
    await one.close();
    await expect(one.count('room')).rejects.toMatchObject({ code: RedisErrorCode.Closed });
    expect(await two.count('room')).toBe(1);
  });
});
