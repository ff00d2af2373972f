import type { StatusStore } from 'shaddock';
import { describeStatusStoreContract, recordingLogger } from 'shaddock/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisErrorCode } from './errors.js';
import { RedisStatusStore } from './status-store.js';
import {
  clusterKeys,
  deleteClusterKeys,
  rawClient,
  redisUnavailable,
  TEST_REDIS_URL,
  uniqueCluster,
} from './test-kit.js';

const unavailable = await redisUnavailable();

function makeStore(cluster = uniqueCluster('status')) {
  const log = recordingLogger('warn');
  const store = new RedisStatusStore({ url: TEST_REDIS_URL, cluster, logger: log.logger });
  return { store, log, cluster };
}

async function dispose(store: StatusStore): Promise<void> {
  if (store instanceof RedisStatusStore) await deleteClusterKeys(store.keys.cluster);
  await store.close?.();
}

if (unavailable === undefined) {
  describeStatusStoreContract('redis', () => makeStore().store, dispose);
}

describe.skipIf(unavailable !== undefined)('RedisStatusStore', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function store(cluster?: string) {
    const made = makeStore(cluster);
    cleanups.push(() => dispose(made.store));
    return made;
  }

  function raw() {
    const client = rawClient();
    cleanups.push(async () => client.disconnect());
    return client;
  }

  it('keeps a list of sessions per uid and a set of uids per frontend, under shaddock:<cluster>:', async () => {
    const { store: status, cluster } = store();
    await status.add('ann', 'connector-1', 1);
    await status.add('ann', 'connector-2', 4);
    await status.add('ann', 'connector-1', 2);
    const client = raw();
    const prefix = `shaddock:${cluster}:`;
    expect(await clusterKeys(client, cluster)).toEqual([
      `${prefix}frontend:connector-1`,
      `${prefix}frontend:connector-2`,
      `${prefix}status:ann`,
    ]);
    expect(await client.lrange(`${prefix}status:ann`, 0, -1)).toEqual([
      '1:connector-1',
      '4:connector-2',
      '2:connector-1',
    ]);
    // in the order they were added
    expect(await status.lookup('ann')).toEqual([
      { frontendId: 'connector-1', sessionId: 1 },
      { frontendId: 'connector-2', sessionId: 4 },
      { frontendId: 'connector-1', sessionId: 2 },
    ]);
    // the uid leaves a frontend's set with its last session there
    await status.remove('ann', 'connector-1', 1);
    expect(await client.smembers(`${prefix}frontend:connector-1`)).toEqual(['ann']);
    await status.remove('ann', 'connector-1', 2);
    expect(await client.exists(`${prefix}frontend:connector-1`)).toBe(0);
    await status.remove('ann', 'connector-2', 4);
    expect(await clusterKeys(client, cluster)).toEqual([]);
  });

  it('clears a frontend of thousands of uids in batches, leaving the other frontends', async () => {
    const { store: status, cluster } = store();
    const writes: Promise<void>[] = [];
    for (let index = 0; index < 2_345; index++) {
      writes.push(status.add(`user-${index}`, 'connector-1', index));
      if (index % 3 === 0) writes.push(status.add(`user-${index}`, 'connector-2', index));
    }
    await Promise.all(writes);
    // two servers hear of the frontend's death at once: they share the work
    const other = store(cluster).store;
    await Promise.all([status.removeFrontend('connector-1'), other.removeFrontend('connector-1')]);
    const answers = await status.lookupMany(Array.from({ length: 2_345 }, (_, index) => `user-${index}`));
    expect(answers.filter((entries) => entries.length > 0)).toHaveLength(782);
    expect(answers.flat().every((entry) => entry.frontendId === 'connector-2')).toBe(true);
    expect(await raw().exists(`shaddock:${cluster}:frontend:connector-1`)).toBe(0);
  });

  it('looks many uids up in one pipeline, in the order asked', async () => {
    const { store: status } = store();
    await status.add('bob', 'connector-1', 3);
    await status.add('ann', 'connector-2', 1);
    expect(await status.lookupMany(['ann', 'nobody', 'bob', 'ann'])).toEqual([
      [{ frontendId: 'connector-2', sessionId: 1 }],
      [],
      [{ frontendId: 'connector-1', sessionId: 3 }],
      [{ frontendId: 'connector-2', sessionId: 1 }],
    ]);
    expect(await status.lookupMany([])).toEqual([]);
  });

  it('ignores and logs malformed data under its keys, and never writes over it', async () => {
    const { store: status, cluster, log } = store();
    const client = raw();
    const prefix = `shaddock:${cluster}:`;
    await client.set(`${prefix}status:bad`, 'not a list');
    await client.rpush(`${prefix}status:odd`, '7:connector-1', 'garbage', 'x:connector-2', '8:connector-2');
    await status.add('ann', 'connector-1', 1);

    expect(await status.lookup('bad')).toEqual([]);
    expect(await status.lookup('odd')).toEqual([
      { frontendId: 'connector-1', sessionId: 7 },
      { frontendId: 'connector-2', sessionId: 8 },
    ]);
    expect(await status.lookupMany(['bad', 'ann'])).toEqual([
      [],
      [{ frontendId: 'connector-1', sessionId: 1 }],
    ]);
    await expect(status.add('bad', 'connector-1', 2)).rejects.toMatchObject({
      code: RedisErrorCode.CommandFailed,
      message: expect.stringContaining(`${prefix}status:bad`),
    });
    expect(await client.get(`${prefix}status:bad`)).toBe('not a list');

    // a frontend whose uid set is broken, or that lists a uid whose list is broken: cleared as far as it can be
    await client.sadd(`${prefix}frontend:connector-1`, 'bad');
    await status.removeFrontend('connector-1');
    expect(await status.lookup('ann')).toEqual([]);
    await client.set(`${prefix}frontend:connector-3`, 'not a set');
    await expect(status.removeFrontend('connector-3')).resolves.toBeUndefined();

    const reports = log.lines().filter((line) => String(line['msg']).includes('malformed data'));
    // one line per kind of fault (rate-limited), each naming a key
    expect(reports.map((line) => line['kind']).sort()).toEqual(['status-entry', 'status-key']);
    expect(reports.every((line) => String(line['key']).startsWith(prefix))).toBe(true);
  });
});
