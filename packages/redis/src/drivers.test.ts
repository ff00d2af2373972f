import { type DriverContext, type DriverPackage, MemoryStatusStore, type Services } from 'shaddock';
import { recordingLogger, testApplication } from 'shaddock/testing';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { RedisChannelStore } from './channel-store.js';
import { createDrivers } from './drivers.js';
import { RedisErrorCode } from './errors.js';
import { type GlobalChannelService, globalChannel } from './global-channel.js';
import * as entry from './index.js';
import { RedisPlacementTable } from './placement-table.js';
import { onlineStatus, type StatusService } from './status-service.js';
import { RedisStatusStore } from './status-store.js';
import { deleteClusterKeys, redisUnavailable, TEST_REDIS_URL, uniqueCluster } from './test-kit.js';

const unavailable = await redisUnavailable();

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** What createApp hands a driver factory, for a server of a test application. */
function driverContext(): DriverContext & { lines: () => Record<string, unknown>[] } {
  const app = testApplication('chat');
  const { logger, lines } = recordingLogger('info');
  return {
    identity: app.identity,
    cluster: app.cluster,
    server: app.getCurServer(),
    logger,
    orders: { stop: async () => {} },
    lines,
  };
}

describe('createDrivers', () => {
  it('is what createApp loads a driver package by', () => {
    const driverPackage: DriverPackage = entry;
    expect(typeof driverPackage.createDrivers).toBe('function');
  });

  it('needs the cluster to name Redis', () => {
    expect(() => createDrivers({ name: 'game', rpc: { transport: 'tcp' } })).toThrow(
      expect.objectContaining({
        code: RedisErrorCode.OptionsInvalid,
        message: expect.stringContaining('redis'),
      }),
    );
  });

  it('refuses a URL that is not Redis and a cluster name keys cannot carry', () => {
    const drivers = createDrivers({
      name: 'game',
      redis: { url: 'http://127.0.0.1:6379' },
      rpc: { transport: 'tcp' },
    });
    expect(() => drivers.channelStore?.(driverContext())).toThrow(
      expect.objectContaining({ code: RedisErrorCode.OptionsInvalid }),
    );
    expect(() => new RedisStatusStore({ url: TEST_REDIS_URL, cluster: 'a:b' })).toThrow(
      expect.objectContaining({ code: RedisErrorCode.OptionsInvalid }),
    );
  });

  it('never shows a password: messages and logs mask it', async () => {
    const context = driverContext();
    const drivers = createDrivers({
      name: 'game',
      redis: { url: 'redis://player:hunter2@127.0.0.1:1' },
      rpc: { transport: 'tcp' },
    });
    const store = drivers.statusStore?.(context) as RedisStatusStore;
    cleanups.push(() => store.close());
    const failure = await store.lookup('ann').catch((error: unknown) => error);
    expect(failure).toMatchObject({
      code: RedisErrorCode.Unavailable,
      message: expect.stringContaining('redis://player:***@127.0.0.1:1'),
    });
    expect(String((failure as Error).message)).not.toContain('hunter2');
    const logged = JSON.stringify(context.lines());
    expect(logged).toContain('is unreachable');
    expect(logged).not.toContain('hunter2');
  });

  it.skipIf(unavailable !== undefined)(
    'makes both stores on one connection, opened at once and closed by the last store to close',
    async () => {
      const cluster = uniqueCluster('drivers');
      cleanups.push(() => deleteClusterKeys(cluster));
      const drivers = createDrivers({
        name: cluster,
        redis: { url: TEST_REDIS_URL },
        rpc: { transport: 'tcp' },
      });
      const context = driverContext();
      const channels = drivers.channelStore?.(context) as RedisChannelStore;
      const status = drivers.statusStore?.(context) as RedisStatusStore;
      const placement = drivers.placementTable?.(context) as RedisPlacementTable;
      expect(channels).toBeInstanceOf(RedisChannelStore);
      expect(status).toBeInstanceOf(RedisStatusStore);
      expect(placement).toBeInstanceOf(RedisPlacementTable);
      expect(channels.shared && status.shared && placement.shared).toBe(true);
      expect(channels.connection).toBe(status.connection);
      expect(placement.connection).toBe(status.connection);
      await placement.connect();
      await placement.close();
      expect(channels.keys.prefix).toBe(`shaddock:${cluster}:`);
      await channels.connect();
      expect(channels.connection.ready).toBe(true);
      await channels.close();
      await status.add('ann', 'connector-1', 1);
      expect(status.connection.released).toBe(false);
      await status.close();
      expect(status.connection.released).toBe(true);
    },
  );
});

describe('the plugins', () => {
  it('give the services their types on app.services', () => {
    expectTypeOf<Services['globalChannelService']>().toEqualTypeOf<GlobalChannelService>();
    expectTypeOf<Services['statusService']>().toEqualTypeOf<StatusService>();
  });

  it('need a Redis: the cluster’s, or one given', () => {
    const app = testApplication('chat');
    expect(() => app.use(globalChannel, {})).toThrow(
      expect.objectContaining({
        code: RedisErrorCode.OptionsInvalid,
        message: expect.stringContaining('globalChannel'),
      }),
    );
    expect(() => app.use(onlineStatus, {})).toThrow(
      expect.objectContaining({ code: RedisErrorCode.OptionsInvalid }),
    );
  });

  it('do nothing on the master', () => {
    const master = testApplication({
      id: 'master',
      serverType: 'master',
      host: '127.0.0.1',
      frontend: false,
    });
    master.use(globalChannel, {}).use(onlineStatus, {});
    expect(master.services.has('globalChannelService')).toBe(false);
    expect(master.services.has('statusService')).toBe(false);
    expect(master.components.all).toEqual([]);
  });

  it.skipIf(unavailable !== undefined)(
    'open a store of their own for a Redis the app’s drivers do not serve, and close it as the server stops',
    async () => {
      const cluster = uniqueCluster('plugin');
      cleanups.push(() => deleteClusterKeys(cluster));
      const app = testApplication('chat');
      app.services.provide('statusStore', new MemoryStatusStore());
      app
        .use(globalChannel, { url: TEST_REDIS_URL, cluster })
        .use(onlineStatus, { url: TEST_REDIS_URL, cluster });
      const global = app.services.get('globalChannelService');
      expect(global.store).toBeInstanceOf(RedisChannelStore);
      // frontends must write where the status service reads: the app's status store is Redis now
      const status = app.services.get('statusStore');
      expect(status).toBeInstanceOf(RedisStatusStore);
      expect(app.services.get('statusService').store).toBe(status);
      await app.components.run('start');
      await global.add('world', 'ann', 'connector-1');
      expect(await global.getMembersBySid('world', 'connector-1')).toEqual(['ann']);
      await app.components.stop(false, (error) => {
        throw error;
      });
      await expect(global.getMembersBySid('world', 'connector-1')).rejects.toMatchObject({
        code: RedisErrorCode.Closed,
      });
      await status.close?.();
    },
  );

  it('fail the start of the server, naming the URL, when that Redis is down', async () => {
    const app = testApplication('chat');
    app.use(globalChannel, { url: 'redis://127.0.0.1:1', cluster: 'down' });
    await expect(app.components.run('start')).rejects.toThrow(
      /component "globalChannel" failed in start: Redis at redis:\/\/127\.0\.0\.1:1 is unreachable/,
    );
    await app.components.stop(true, () => {});
  });
});
