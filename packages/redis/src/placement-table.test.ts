import { describePlacementTableContract, recordingLogger } from 'shaddock/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisPlacementTable } from './placement-table.js';
import {
  clusterKeys,
  deleteClusterKeys,
  rawClient,
  redisUnavailable,
  TEST_REDIS_URL,
  uniqueCluster,
} from './test-kit.js';

const unavailable = await redisUnavailable();

function makeTable(cluster: string) {
  const log = recordingLogger('warn');
  return { table: new RedisPlacementTable({ url: TEST_REDIS_URL, cluster, logger: log.logger }), log };
}

if (unavailable === undefined) {
  describePlacementTableContract('redis', async () => {
    const cluster = uniqueCluster('placement');
    const tables = [makeTable(cluster).table, makeTable(cluster).table] as const;
    for (const table of tables) await table.connect();
    return {
      tables,
      async close() {
        await deleteClusterKeys(cluster);
        for (const table of tables) await table.close();
      },
    };
  });
}

describe.skipIf(unavailable !== undefined)('RedisPlacementTable', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('keeps its keys under shaddock:<cluster>:, and refuses a key of another type without touching it', async () => {
    const cluster = uniqueCluster('placement');
    const { table, log } = makeTable(cluster);
    const client = rawClient();
    cleanups.push(async () => {
      client.disconnect();
      await deleteClusterKeys(cluster);
      await table.close();
    });
    await table.connect();
    await table.claim('room', 'lobby', 'chat-1');
    const prefix = `shaddock:${cluster}:`;
    expect(await clusterKeys(client, cluster)).toEqual([
      `${prefix}placement`,
      `${prefix}placement-owner:chat-1`,
    ]);
    expect(await client.hget(`${prefix}placement`, 'room\nlobby')).toBe('chat-1');
    await client.del(`${prefix}placement`);
    await client.set(`${prefix}placement`, 'spoiled');
    await expect(table.claim('room', 'lobby', 'chat-2')).rejects.toMatchObject({
      code: 'SHADDOCK_ERR_REDIS_COMMAND_FAILED',
    });
    expect(await client.get(`${prefix}placement`)).toBe('spoiled');
    expect(log.lines().some((line) => String(line['msg']).includes('malformed data in Redis ignored'))).toBe(
      true,
    );
  });
});
