// Redis lost while servers run, and Redis down when they start: on a redis-server of the test's
// own, killed (SIGKILL, as a crash) and started again on the same port.
import { ChannelService, LocalMembership } from 'shaddock';
import { recordingLogger } from 'shaddock/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisChannelStore } from './channel-store.js';
import { RedisErrorCode } from './errors.js';
import { RedisStatusStore } from './status-store.js';
import { type OwnRedis, startOwnRedis } from './test-kit.js';

const redis = await startOwnRedis();

/** Resolves once `attempt` resolves; retries every 50 ms for up to `timeoutMs`. */
async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function messages(records: readonly Record<string, unknown>[], part: string): string[] {
  return records.map((record) => String(record['msg'])).filter((message) => message.includes(part));
}

describe.skipIf(typeof redis === 'string')('Redis outages', () => {
  const own = redis as OwnRedis;

  afterAll(async () => {
    await own.kill();
  });

  it('fails calls at once while Redis is away, logs the outage once, and recovers by itself', async () => {
    const log = recordingLogger('info');
    const channels = new RedisChannelStore({ url: own.url, cluster: 'outage', logger: log.logger });
    const status = new RedisStatusStore({ url: own.url, cluster: 'outage', logger: log.logger });
    try {
      await channels.add('room', 'ann', 'connector-1');
      await status.add('ann', 'connector-1', 1);
      expect(await channels.count('room')).toBe(1);

      await own.kill();
      // every call rejects at once, naming the URL; nothing is queued
      const started = performance.now();
      const calls = Array.from({ length: 50 }, (_, index) =>
        index % 2 === 0 ? channels.count('room') : status.lookup('ann'),
      );
      const outcomes = await Promise.allSettled(calls);
      expect(performance.now() - started).toBeLessThan(2_000);
      for (const outcome of outcomes) {
        expect(outcome.status).toBe('rejected');
        if (outcome.status === 'rejected') {
          expect(outcome.reason).toMatchObject({
            code: RedisErrorCode.Unavailable,
            message: expect.stringContaining(own.url),
          });
        }
      }
      await expect(channels.add('room', 'bob', 'connector-1')).rejects.toMatchObject({
        code: RedisErrorCode.Unavailable,
      });
      // still down after a few reconnection attempts: still one line
      await new Promise((resolve) => setTimeout(resolve, 300));
      await expect(status.add('bob', 'connector-1', 2)).rejects.toMatchObject({
        code: RedisErrorCode.Unavailable,
      });
      expect(messages(log.records, 'is unreachable')).toHaveLength(1);

      await own.start();
      // a fresh Redis (no persistence): what is written from now on is there
      await eventually(() => channels.add('room', 'cid', 'connector-2'));
      expect(await channels.members('room')).toEqual(['cid']);
      await status.add('cid', 'connector-2', 3);
      expect(await status.lookup('cid')).toEqual([{ frontendId: 'connector-2', sessionId: 3 }]);
      const back = log.records.filter((record) => String(record['msg']).includes('is back after'));
      expect(back).toHaveLength(1);
      expect(back[0]?.['failedCalls']).toBeGreaterThanOrEqual(52);
      expect(messages(log.records, 'is unreachable')).toHaveLength(1);
    } finally {
      await channels.close();
      await status.close();
    }
  });

  it('keeps serving what needs no Redis: local channels work, their writes to Redis fail and are logged once', async () => {
    const log = recordingLogger('warn');
    const store = new RedisChannelStore({ url: own.url, cluster: 'outage-local', logger: log.logger });
    const membership = new LocalMembership();
    const service = new ChannelService({
      serverId: 'chat-1',
      membership,
      rpcClient: () => {
        throw new Error('no RPC in this test');
      },
      store,
      logger: log.logger,
    });
    try {
      await store.connect();
      await own.kill();
      const room = service.createChannel('room');
      expect(room.add('ann', 'connector-1')).toBe(true);
      expect(room.add('bob', 'connector-1')).toBe(true);
      expect(room.getMembers()).toEqual(['ann', 'bob']);
      // the frontend is unknown here: the push reports its uids, and never rejects
      expect(await room.pushMessage('onChat', { text: 'hi' })).toEqual(['ann', 'bob']);
      await eventually(async () => {
        expect(messages(log.records, 'writes to the channel store fail')).toHaveLength(1);
      });
    } finally {
      await own.start();
      await store.close();
    }
  });

  it('names the URL when Redis is down at start, and connects by itself once it is up', async () => {
    await own.kill();
    const log = recordingLogger('info');
    const store = new RedisStatusStore({ url: own.url, cluster: 'outage-start', logger: log.logger });
    try {
      // calls made while the first connection is tried wait for it, then fail with it
      const waiting = store.lookup('ann');
      await expect(store.connect()).rejects.toMatchObject({
        code: RedisErrorCode.Unavailable,
        message: expect.stringMatching(new RegExp(`^Redis at ${own.url} is unreachable: .*ECONNREFUSED`)),
      });
      await expect(waiting).rejects.toMatchObject({ code: RedisErrorCode.Unavailable });
      expect(messages(log.records, 'is unreachable')).toHaveLength(1);
      await own.start();
      await eventually(() => store.connect());
      await store.add('ann', 'connector-1', 1);
      expect(await store.lookup('ann')).toHaveLength(1);
      expect(messages(log.records, 'is back after')).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});
