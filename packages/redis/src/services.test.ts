// The global channel and status services end to end, on a small real cluster in one process: two
// connectors and a chat server made by `createApp` from a config folder whose config/cluster.json
// names Redis, started for real (RPC over TCP, the connectors' session services and their system
// remote channelRemote). Sessions are made on the connectors' session services (no client sockets);
// each connector's `connector` service is wrapped to record what a push encodes and to whom it goes.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Application, createApp, LocalMembership, type SessionConnection } from 'shaddock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisChannelStore } from './channel-store.js';
import { createDrivers } from './drivers.js';
import { globalChannel } from './global-channel.js';
import { onlineStatus } from './status-service.js';
import { RedisStatusStore } from './status-store.js';
import { deleteClusterKeys, freePort, redisUnavailable, TEST_REDIS_URL, uniqueCluster } from './test-kit.js';

const unavailable = await redisUnavailable();

/** What one connector wrote: each push as its route and the session ids it went to. */
interface Recorder {
  encodes: number;
  readonly sends: { route: string; sessionIds: number[] }[];
}

interface Cluster {
  readonly name: string;
  readonly chat: Application;
  readonly connectors: Record<'connector-1' | 'connector-2', Application>;
  readonly recorders: Record<'connector-1' | 'connector-2', Recorder>;
  stop(): Promise<void>;
}

/** Wraps the app's `connector` service: pushes still go through it, and are recorded. */
function recordPushes(app: Application): Recorder {
  const real = app.services.get('connector');
  const recorder: Recorder = { encodes: 0, sends: [] };
  let route = '';
  app.services.provide(
    'connector',
    new Proxy(real, {
      get(target, key) {
        if (key === 'encodePush') {
          return (pushRoute: string, body: Parameters<typeof real.encodePush>[1]) => {
            recorder.encodes++;
            route = pushRoute;
            return target.encodePush(pushRoute, body);
          };
        }
        if (key === 'send') {
          return (bytes: Uint8Array, sessions: Parameters<typeof real.send>[1]) => {
            const targets = [...sessions];
            recorder.sends.push({ route, sessionIds: targets.map((session) => session.id).sort(byNumber) });
            target.send(bytes, targets);
          };
        }
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }),
  );
  return recorder;
}

async function startCluster(): Promise<Cluster> {
  const name = uniqueCluster('e2e');
  const dir = mkdtempSync(join(tmpdir(), 'shaddock-redis-'));
  mkdirSync(join(dir, 'config'));
  const write = (file: string, content: unknown): void =>
    writeFileSync(join(dir, 'config', file), JSON.stringify(content, null, 2));
  const host = '127.0.0.1';
  const connector = async (id: string) => ({
    id,
    host,
    port: await freePort(),
    clientHost: host,
    clientPort: await freePort(),
    frontend: true,
  });
  write('servers.json', {
    test: {
      connector: [await connector('connector-1'), await connector('connector-2')],
      chat: [{ id: 'chat-1', host, port: await freePort() }],
    },
  });
  write('master.json', { test: { id: 'master', host, port: await freePort() } });
  write('cluster.json', { name, redis: TEST_REDIS_URL });
  const apps: Application[] = [];
  for (const id of ['connector-1', 'connector-2', 'chat-1']) {
    const app = await createApp({
      base: dir,
      appDir: dir,
      argv: ['env=test', `id=${id}`],
      environment: {},
      log: { level: 'silent', file: false },
      // the drivers createApp loads for config/cluster.json, from this source rather than the build
      drivers: createDrivers({ name, redis: { url: TEST_REDIS_URL }, rpc: { transport: 'tcp' } }),
    });
    app.use(globalChannel, {}).use(onlineStatus, {});
    apps.push(app);
  }
  const [one, two, chat] = apps as [Application, Application, Application];
  await Promise.all(apps.map((app) => app.start()));
  return {
    name,
    chat,
    connectors: { 'connector-1': one, 'connector-2': two },
    recorders: { 'connector-1': recordPushes(one), 'connector-2': recordPushes(two) },
    async stop() {
      await Promise.all(apps.map((app) => app.stop(true)));
      await deleteClusterKeys(name);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const byNumber = (a: number | undefined, b: number | undefined): number => (a ?? 0) - (b ?? 0);

let connections = 0;

/** A client connection that is not there: what a session needs to exist on its frontend. */
function connection(): SessionConnection {
  connections++;
  return {
    id: connections,
    remoteAddress: { ip: '127.0.0.1', port: 40_000 + connections },
    closed: false,
    kick() {},
    close() {},
  };
}

/** Resolves once `check` passes; retries every 20 ms for up to 5 s. */
async function eventually(check: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

describe.skipIf(unavailable !== undefined)('global channel and status services on a cluster', () => {
  let cluster: Cluster;
  /** Session ids by name, on their connectors. */
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    cluster = await startCluster();
    const sessions = (id: 'connector-1' | 'connector-2') => cluster.connectors[id].sessionService;
    for (const [name, frontendId, uid] of [
      ['ann', 'connector-1', 'ann'],
      ['cid-a', 'connector-1', 'cid'],
      ['cid-b', 'connector-1', 'cid'],
      ['bob', 'connector-2', 'bob'],
      ['eve', 'connector-2', 'eve'],
    ] as const) {
      const session = sessions(frontendId).create(connection());
      sessions(frontendId).bind(session.id, uid);
      ids[name] = session.id;
    }
    // the frontends write their binds to the status store as they happen
    const status = cluster.chat.services.get('statusService');
    await eventually(async () => {
      expect(await status.getStatusByUids(['ann', 'cid', 'bob', 'eve'])).toEqual(
        new Map([
          ['ann', true],
          ['cid', true],
          ['bob', true],
          ['eve', true],
        ]),
      );
    });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  function clearRecorders(): void {
    for (const recorder of Object.values(cluster.recorders)) {
      recorder.encodes = 0;
      recorder.sends.length = 0;
    }
  }

  it('runs on the Redis drivers createApp chose, one connection for both stores', () => {
    const channelStore = cluster.chat.services.get('channelStore');
    const statusStore = cluster.chat.services.get('statusStore');
    expect(channelStore).toBeInstanceOf(RedisChannelStore);
    expect(statusStore).toBeInstanceOf(RedisStatusStore);
    expect((channelStore as RedisChannelStore).connection).toBe((statusStore as RedisStatusStore).connection);
    expect((channelStore as RedisChannelStore).keys.cluster).toBe(cluster.name);
    expect(cluster.chat.services.get('globalChannelService').store).toBe(channelStore);
    expect(cluster.chat.services.get('statusService').store).toBe(statusStore);
  });

  it('pushes a global channel from a backend: one call per frontend with members, encoded once there', async () => {
    clearRecorders();
    const global = cluster.chat.services.get('globalChannelService');
    await global.add('world', 'ann', 'connector-1');
    await global.add('world', 'cid', 'connector-1');
    await global.add('world', 'bob', 'connector-2');
    await global.add('world', 'ghost', 'connector-2');
    await global.add('world', 'dan', 'connector-9');
    expect(await global.add('world', 'ann', '')).toBe(false);

    expect(await global.pushMessage('connector', 'onWorld', { text: 'hi' }, 'world')).toEqual(['ghost']);
    const { 'connector-1': one, 'connector-2': two } = cluster.recorders;
    expect(one.encodes).toBe(1);
    expect(one.sends).toEqual([
      { route: 'onWorld', sessionIds: [ids['ann'], ids['cid-a'], ids['cid-b']].sort(byNumber) },
    ]);
    expect(two.encodes).toBe(1);
    expect(two.sends).toEqual([{ route: 'onWorld', sessionIds: [ids['bob']] }]);
    // no frontend of another type has members
    expect(await global.pushMessage('chat', 'onWorld', { text: 'hi' }, 'world')).toEqual([]);

    expect([...(await global.getMembersBySid('world', 'connector-1'))].sort()).toEqual(['ann', 'cid']);
    // dan's frontend is not in membership
    expect((await global.getMembersByChannelName('connector', 'world')).sort()).toEqual([
      'ann',
      'bob',
      'cid',
      'ghost',
    ]);
    expect(await global.getMembersByChannelName('chat', 'world')).toEqual([]);
  });

  it('pushes the same channel from a frontend: its own part is a direct call, the other an RPC', async () => {
    clearRecorders();
    const global = cluster.connectors['connector-1'].services.get('globalChannelService');
    expect(await global.pushMessage('connector', 'onWorld', { text: 'again' }, 'world')).toEqual(['ghost']);
    expect(cluster.recorders['connector-1'].encodes).toBe(1);
    expect(cluster.recorders['connector-2'].encodes).toBe(1);
    // a stale leave (ghost is on connector-2) changes nothing; a leave through its frontend does
    expect(await global.leave('world', 'ghost', 'connector-1')).toBe(false);
    expect(await global.leave('world', 'ghost', 'connector-2')).toBe(true);
    expect(await global.pushMessage('connector', 'onWorld', { text: 'all here' }, 'world')).toEqual([]);
    await global.destroyChannel('world');
    expect(await global.getMembersByChannelName('connector', 'world')).toEqual([]);
    expect(await global.pushMessage('connector', 'onWorld', { text: 'nobody' }, 'world')).toEqual([]);
  });

  it('is one truth with the channel store: a local channel written through to Redis is the global channel', async () => {
    cluster.chat.channelService.createChannel('room').add('eve', 'connector-2');
    const global = cluster.connectors['connector-2'].services.get('globalChannelService');
    await eventually(async () => {
      expect(await global.getMembersBySid('room', 'connector-2')).toEqual(['eve']);
    });
    clearRecorders();
    expect(await global.pushMessage('connector', 'onRoom', { n: 1 }, 'room')).toEqual([]);
    expect(cluster.recorders['connector-2'].sends).toEqual([{ route: 'onRoom', sessionIds: [ids['eve']] }]);
    cluster.chat.channelService.destroyChannel('room');
    await eventually(async () => {
      expect(await global.getMembersBySid('room', 'connector-2')).toEqual([]);
    });
  });

  it('answers who is online from the status store, and pushes by uids one call per frontend', async () => {
    const status = cluster.chat.services.get('statusService');
    expect(await status.getSidsByUid('cid')).toEqual(['connector-1']);
    expect(await status.getSidsByUid('nobody')).toEqual([]);
    expect(await status.getStatusByUid('bob')).toBe(true);
    expect(await status.getStatusByUid('nobody')).toBe(false);
    expect(await status.getStatusByUids(['ann', 'nobody', 'ann'])).toEqual(
      new Map([
        ['ann', true],
        ['nobody', false],
      ]),
    );
    clearRecorders();
    expect(await status.pushByUids(['ann', 'bob', 'nobody', 'cid', 'ann'], 'onInvite', { room: 7 })).toEqual([
      'nobody',
    ]);
    expect(cluster.recorders['connector-1'].encodes).toBe(1);
    expect(cluster.recorders['connector-1'].sends).toEqual([
      { route: 'onInvite', sessionIds: [ids['ann'], ids['cid-a'], ids['cid-b']].sort(byNumber) },
    ]);
    expect(cluster.recorders['connector-2'].sends).toEqual([{ route: 'onInvite', sessionIds: [ids['bob']] }]);

    // a session that closes is offline at once for the others
    const one = cluster.connectors['connector-1'].sessionService;
    one.remove(ids['cid-a'] as number, 'connection closed');
    await eventually(async () => {
      expect(await cluster.chat.services.get('statusStore').lookup('cid')).toHaveLength(1);
    });
    expect(await status.getStatusByUid('cid')).toBe(true);
    one.unbind(ids['cid-b'] as number, 'cid');
    await eventually(async () => {
      expect(await status.getStatusByUid('cid')).toBe(false);
    });
  });

  it("forgets a crashed connector's users: membership removes it, every server clears its entries", async () => {
    const status = cluster.chat.services.get('statusService');
    expect(await status.getStatusByUid('bob')).toBe(true);
    // connector-2 vanishes without a word (its process keeps running here, as a cut-off one would)
    const membership = cluster.chat.membership;
    if (!(membership instanceof LocalMembership)) throw new Error('the chat server has no fixed membership');
    membership.remove('connector-2');
    // left out at once, and gone from Redis soon after
    expect(await status.getStatusByUids(['bob', 'eve', 'ann'])).toEqual(
      new Map([
        ['bob', false],
        ['eve', false],
        ['ann', true],
      ]),
    );
    const store = cluster.chat.services.get('statusStore');
    await eventually(async () => {
      expect(await store.lookup('bob')).toEqual([]);
      expect(await store.lookup('eve')).toEqual([]);
    });
    expect(await store.lookup('ann')).toHaveLength(1);
    expect(await status.pushByUids(['bob', 'ann'], 'onInvite', { room: 8 })).toEqual(['bob']);
  });
});
