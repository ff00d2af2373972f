import type { JsonObject } from '@shaddock/protocol';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { LocalMembership } from '../membership/index.js';
import { RemoteRegistry } from '../rpc/index.js';
import type { Application } from '../server/index.js';
import { testApplication } from '../testing/index.js';
import { ChannelService, channelComponent, type PushConnector, type PushSession } from './index.js';

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
});
