import type { JsonObject } from '@shaddock/protocol';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { LocalMembership } from '../membership/index.js';
import { RemoteRegistry } from '../rpc/index.js';
import type { Application } from '../server/index.js';
import { testApplication } from '../testing/index.js';
import {
  ChannelService,
  type ChannelStore,
  channelComponent,
  MemoryChannelStore,
  type PushConnector,
  type PushSession,
} from './index.js';

function newService(): ChannelService {
  return new ChannelService({
    serverId: 'chat-1',
    membership: new LocalMembership(),
    rpcClient: () => {
      throw new Error('no rpc in this test');
    },
  });
}

describe('Channel membership', () => {
  it('adds, moves, leaves and counts members', () => {
    const room = newService().createChannel('room');
    expect(room.name).toBe('room');
    expect(room.add('ann', 'connector-1')).toBe(true);
    expect(room.add('bob', 'connector-2')).toBe(true);
    expect(room.add('ann', 'connector-1')).toBe(true);
    expect(room.userAmount).toBe(2);
    expect(room.getMembers()).toEqual(['ann', 'bob']);
    expect(room.getMember('ann')).toEqual({ uid: 'ann', frontendId: 'connector-1' });
    expect(room.getMember('cid')).toBeUndefined();

    // the same uid on another frontend moves there: still one member
    expect(room.add('ann', 'connector-2')).toBe(true);
    expect(room.userAmount).toBe(2);
    expect(room.getMember('ann')).toEqual({ uid: 'ann', frontendId: 'connector-2' });
    // a stale leave from the frontend it left does nothing
    expect(room.leave('ann', 'connector-1')).toBe(false);
    expect(room.leave('ann', 'connector-2')).toBe(true);
    expect(room.leave('ann', 'connector-2')).toBe(false);
    expect(room.leave('nobody', 'connector-1')).toBe(false);
    expect(room.getMembers()).toEqual(['bob']);
    expect(room.userAmount).toBe(1);
  });

  it('refuses a member without a frontend id', () => {
    const room = newService().createChannel('room');
    expect(room.add('ann', '')).toBe(false);
    expect(room.add('ann', undefined as unknown as string)).toBe(false);
    expect(room.userAmount).toBe(0);
  });

  it('destroys: members dropped, adds refused, pushes rejected, the service forgets it', async () => {
    const channels = newService();
    const room = channels.createChannel('room');
    room.add('ann', 'connector-1');
    room.destroy();
    room.destroy();
    expect(room.userAmount).toBe(0);
    expect(room.getMembers()).toEqual([]);
    expect(room.add('bob', 'connector-1')).toBe(false);
    expect(room.leave('ann', 'connector-1')).toBe(false);
    await expect(room.pushMessage('onChat', {})).rejects.toMatchObject({ code: ErrorCode.ChannelDestroyed });
    expect(channels.getChannel('room')).toBeUndefined();
    const again = channels.getChannel('room', true);
    expect(again).not.toBe(room);
    expect(again?.add('ann', 'connector-1')).toBe(true);
  });
});

describe('ChannelService', () => {
  it('creates once, gets, and destroys by name', () => {
    const channels = newService();
    const room = channels.createChannel('room');
    expect(channels.createChannel('room')).toBe(room);
    expect(channels.getChannel('room')).toBe(room);
    expect(channels.getChannel('hall')).toBeUndefined();
    expect(channels.getChannel('hall', true)?.name).toBe('hall');
    channels.destroyChannel('room');
    channels.destroyChannel('missing');
    expect(channels.getChannel('room')).toBeUndefined();
    expect(room.add('ann', 'connector-1')).toBe(false);
  });

  it('resolves an empty push to an empty list, and reports receivers without a frontend id', async () => {
    const channels = newService();
    expect(await channels.createChannel('room').pushMessage('onChat', {})).toEqual([]);
    expect(await channels.pushMessageByUids('onChat', {}, [])).toEqual([]);
    const receivers = [{ uid: 'ann', sid: '' }];
    expect(await channels.pushMessageByUids('onChat', {}, receivers)).toEqual(['ann']);
  });

  it('resolves a broadcast to a type with no server', async () => {
    await expect(newService().broadcast('connector', 'onNotice', {})).resolves.toBeUndefined();
  });
});

/** A store that answers later, as a Redis one does, recording its writes in order. */
class AsyncStore implements ChannelStore {
  readonly shared = true;
  readonly writes: string[] = [];
  failing = false;
  readonly #memory = new MemoryChannelStore();
  #answer<T>(write: string | undefined, value: () => T): Promise<T> {
    if (write !== undefined) this.writes.push(write);
    return this.failing ? Promise.reject(new Error('store down')) : Promise.resolve().then(value);
  }
  add(channel: string, uid: string, frontendId: string) {
    return this.#answer(`add ${channel} ${uid} ${frontendId}`, () =>
      this.#memory.add(channel, uid, frontendId),
    );
  }
  remove(channel: string, uid: string, frontendId?: string) {
    return this.#answer(`remove ${channel} ${uid} ${frontendId}`, () =>
      this.#memory.remove(channel, uid, frontendId),
    );
  }
  membersByFrontend(channel: string) {
    return this.#answer(undefined, () => this.#memory.membersByFrontend(channel));
  }
  membersOnFrontend(channel: string, frontendId: string) {
    return this.#answer(undefined, () => this.#memory.membersOnFrontend(channel, frontendId));
  }
  members(channel: string) {
    return this.#answer(undefined, () => this.#memory.members(channel));
  }
  frontendOf(channel: string, uid: string) {
    return this.#answer(undefined, () => this.#memory.frontendOf(channel, uid));
  }
  count(channel: string) {
    return this.#answer(undefined, () => this.#memory.count(channel));
  }
  destroy(channel: string) {
    return this.#answer(`destroy ${channel}`, () => this.#memory.destroy(channel));
  }
  channels() {
    return this.#answer(undefined, () => this.#memory.channels());
  }
}

describe('Channel and its store', () => {
  function serviceWith(store: ChannelStore, warnings: string[] = []): ChannelService {
    return new ChannelService({
      serverId: 'chat-1',
      membership: new LocalMembership(),
      rpcClient: () => {
        throw new Error('no rpc in this test');
      },
      store,
      logger: { warn: (_fields: unknown, message?: string) => warnings.push(message ?? '') },
    });
  }

  it('keeps its members in a memory store it was given, which pushes read without copies', () => {
    const store = new MemoryChannelStore();
    const room = serviceWith(store).createChannel('room');
    room.add('ann', 'connector-1');
    room.add('bob', 'connector-2');
    expect(store.members('room')).toEqual(['ann', 'bob']);
    const groups = store.membersByFrontend('room');
    expect(store.membersByFrontend('room')).toBe(groups);
    expect(store.membersByFrontend('room').get('connector-1')).toBe(groups.get('connector-1'));
    room.leave('bob', 'connector-2');
    expect(store.channels()).toEqual(['room']);
    room.destroy();
    expect(store.channels()).toEqual([]);
  });

  it('writes every change through to another store, in order, and reads its own view', async () => {
    const store = new AsyncStore();
    const room = serviceWith(store).createChannel('room');
    expect(room.add('ann', 'connector-1')).toBe(true);
    expect(room.add('ann', 'connector-1')).toBe(true);
    room.add('bob', 'connector-1');
    room.add('ann', 'connector-2');
    expect(room.leave('bob', 'connector-2')).toBe(false);
    expect(room.leave('bob', 'connector-1')).toBe(true);
    // read at once, from this process's view
    expect(room.getMember('ann')).toEqual({ uid: 'ann', frontendId: 'connector-2' });
    expect(room.userAmount).toBe(1);
    expect(await store.members('room')).toEqual(['ann']);
    expect(await store.frontendOf('room', 'ann')).toBe('connector-2');
    room.destroy();
    expect(store.writes).toEqual([
      'add room ann connector-1',
      'add room bob connector-1',
      'add room ann connector-2',
      'remove room bob connector-1',
      'destroy room',
    ]);
    expect(await store.channels()).toEqual([]);
  });

  it('logs failed writes to the store once until one succeeds, and keeps working', async () => {
    const store = new AsyncStore();
    const warnings: string[] = [];
    const room = serviceWith(store, warnings).createChannel('room');
    store.failing = true;
    room.add('ann', 'connector-1');
    room.add('bob', 'connector-1');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(warnings).toEqual([expect.stringContaining('channel store')]);
    expect(room.getMembers()).toEqual(['ann', 'bob']);
    store.failing = false;
    room.add('cid', 'connector-1');
    await new Promise((resolve) => setTimeout(resolve, 0));
    store.failing = true;
    room.add('dan', 'connector-1');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(warnings).toHaveLength(2);
  });
});

describe('channelComponent', () => {
  function newApp(frontend: boolean): Application {
    return testApplication({ id: 'connector-1', serverType: 'connector', host: '127.0.0.1', frontend });
  }

  it('provides channelService, registers channelRemote on a frontend, pushes locally without RPC', async () => {
    const app = newApp(true);
    const component = channelComponent(app);
    expect(component.name).toBe('channel');
    const channels = app.services.get('channelService');
    expect(channels).toBeInstanceOf(ChannelService);

    const registry = new RemoteRegistry();
    app.services.provide('remoteRegistry', registry);
    await component.start?.();
    expect(registry.methodNames('sys', 'connector', 'channelRemote').sort()).toEqual([
      'broadcast',
      'pushMessage',
    ]);

    // the connector and session services are looked up at the first push, not before
    const session: PushSession = { id: 1, uid: 'ann', frontendId: 'connector-1' };
    const sent: { body: JsonObject; sessions: PushSession[] }[] = [];
    const connector: PushConnector = {
      encodePush: (_route, body) => new TextEncoder().encode(JSON.stringify(body)),
      send: (bytes, sessions) =>
        sent.push({ body: JSON.parse(new TextDecoder().decode(bytes)), sessions: [...sessions] }),
    };
    const services = app.services as unknown as { provide(name: string, service: unknown): void };
    services.provide('connector', connector);
    services.provide('sessionService', {
      getByUid: (uid: string) => (uid === 'ann' ? [session] : []),
      forEachSession: (visit: (session: PushSession) => void) => visit(session),
      forEachBoundSession: (visit: (session: PushSession) => void) => visit(session),
    });
    const room = channels.createChannel('room');
    room.add('ann', 'connector-1');
    room.add('bob', 'connector-1');
    // app.rpcClient is not attached: a push that tried RPC would fail both uids
    expect(await room.pushMessage('onChat', { text: 'hi' })).toEqual(['bob']);
    expect(sent).toEqual([{ body: { text: 'hi' }, sessions: [session] }]);
  });

  it('registers no remote on a backend', async () => {
    const app = newApp(false);
    const registry = new RemoteRegistry();
    app.services.provide('remoteRegistry', registry);
    await channelComponent(app).start?.();
    expect(registry.remoteNames('sys', 'connector')).toEqual([]);
    expect(app.services.has('channelService')).toBe(true);
  });

  it('gives channelService the channelStore the app chose, or the memory default', () => {
    const chosen = new MemoryChannelStore();
    const app = newApp(false);
    app.services.provide('channelStore', chosen);
    channelComponent(app);
    expect(app.services.get('channelService').store).toBe(chosen);
    const plain = newApp(false);
    channelComponent(plain);
    expect(plain.services.get('channelStore')).toBeInstanceOf(MemoryChannelStore);
    expect(plain.services.get('channelService').store).toBe(plain.services.get('channelStore'));
  });
});
