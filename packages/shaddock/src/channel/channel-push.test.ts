import type { JsonObject, JsonValue } from '@shaddock/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { LocalMembership } from '../membership/index.js';
import { RemoteRegistry, RpcClient, RpcServer } from '../rpc/index.js';
import {
  type BroadcastFilter,
  type BroadcastOptions,
  ChannelService,
  createChannelRemote,
  FrontendPusher,
  type PushConnector,
  type PushSession,
  type PushSessionService,
} from './index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** What one session received, in order. */
type Inbox = { route: string; body: JsonObject }[];

/** The in-memory connector and session service of a fake frontend; records every send. */
class FakeFrontend implements PushConnector, PushSessionService {
  encodes = 0;
  readonly sends: { route: string; sessionIds: number[] }[] = [];
  /** The uid lists `channelRemote.pushMessage` received over RPC. */
  readonly calls: string[][] = [];
  readonly broadcasts: BroadcastOptions[] = [];
  readonly inboxes = new Map<number, Inbox>();
  readonly sessions: PushSession[] = [];
  filter: BroadcastFilter | undefined;
  server: RpcServer | undefined;
  readonly pusher = new FrontendPusher({
    connector: () => this,
    sessionService: () => this,
    broadcastFilter: () => this.filter,
  });
  static #nextId = 1;

  constructor(readonly id: string) {}

  connect(uid?: string): PushSession {
    const session = { id: FakeFrontend.#nextId++, uid, frontendId: this.id };
    this.sessions.push(session);
    this.inboxes.set(session.id, []);
    return session;
  }

  inbox(session: PushSession): Inbox {
    return this.inboxes.get(session.id) ?? [];
  }

  encodePush(route: string, body: JsonObject): Uint8Array {
    this.encodes++;
    return new TextEncoder().encode(JSON.stringify({ route, body }));
  }

  send(bytes: Uint8Array, sessions: Iterable<PushSession>): void {
    const message = JSON.parse(new TextDecoder().decode(bytes)) as { route: string; body: JsonObject };
    const sessionIds: number[] = [];
    for (const session of sessions) {
      sessionIds.push(session.id);
      this.inboxes.get(session.id)?.push(message);
    }
    this.sends.push({ route: message.route, sessionIds });
  }

  getByUid(uid: string): readonly PushSession[] {
    return this.sessions.filter((session) => session.uid === uid);
  }

  forEachSession(visit: (session: PushSession) => void): void {
    for (const session of this.sessions) visit(session);
  }

  forEachBoundSession(visit: (session: PushSession) => void): void {
    for (const session of this.sessions) if (session.uid !== undefined) visit(session);
  }

  /** Serves the real `channelRemote` over this frontend, recording each call, on a port of its own. */
  async serve(membership: LocalMembership): Promise<RpcServer> {
    const remote = createChannelRemote(this.pusher);
    const registry = new RemoteRegistry();
    registry.registerSystemRemote('connector', 'channelRemote', {
      pushMessage: (route: string, body: JsonObject, uids: string[]) => {
        this.calls.push(uids);
        return remote.pushMessage(route, body, uids);
      },
      broadcast: (route: string, body: JsonObject, options: BroadcastOptions) => {
        this.broadcasts.push(options);
        return remote.broadcast(route, body, options);
      },
    });
    const server = new RpcServer({ host: '127.0.0.1', port: 0, serverId: this.id, remotes: registry });
    const port = await server.start();
    cleanups.push(() => server.stop(0));
    this.server = server;
    membership.add({ id: this.id, serverType: 'connector', host: '127.0.0.1', port, frontend: true });
    return server;
  }
}

interface Cluster {
  membership: LocalMembership;
  one: FakeFrontend;
  two: FakeFrontend;
  warnings: string[];
  /** A channel service on a backend (`chat-1`), or on `connector-1` itself with `local`. */
  service(serverId?: string, local?: FrontendPusher): ChannelService;
}

async function startCluster(): Promise<Cluster> {
  const membership = new LocalMembership();
  const one = new FakeFrontend('connector-1');
  const two = new FakeFrontend('connector-2');
  await one.serve(membership);
  await two.serve(membership);
  const warnings: string[] = [];
  const service = (serverId = 'chat-1', local?: FrontendPusher): ChannelService => {
    const client = new RpcClient({ serverId, membership });
    cleanups.push(() => client.close());
    const logger = { warn: (_fields: unknown, message?: string) => warnings.push(message ?? '') };
    return new ChannelService({ serverId, membership, rpcClient: () => client, local, logger });
  };
  return { membership, one, two, warnings, service };
}

const text = (value: JsonValue): JsonObject => ({ text: value });

describe('Channel pushes over RPC', () => {
  it('makes one call per frontend with its uids, encoding once there', async () => {
    const { one, two, service } = await startCluster();
    const ann = [one.connect('ann'), one.connect('ann')];
    const bob = one.connect('bob');
    const cid = two.connect('cid');
    const room = service().createChannel('room');
    for (const [uid, frontendId] of [
      ['ann', 'connector-1'],
      ['bob', 'connector-1'],
      ['cid', 'connector-2'],
      ['gone', 'connector-2'],
    ] as const)
      room.add(uid, frontendId);

    expect(await room.pushMessage('onChat', text('hi'))).toEqual(['gone']);
    expect(one.calls).toEqual([['ann', 'bob']]);
    expect(two.calls).toEqual([['cid', 'gone']]);
    expect([one.encodes, two.encodes]).toEqual([1, 1]);
    expect(one.sends).toEqual([{ route: 'onChat', sessionIds: [ann[0]?.id, ann[1]?.id, bob.id] }]);
    expect(two.sends).toEqual([{ route: 'onChat', sessionIds: [cid.id] }]);
    expect(two.inbox(cid)).toEqual([{ route: 'onChat', body: text('hi') }]);
  });

  it('leaves out `except` members, and skips a frontend left with none', async () => {
    const { one, two, service } = await startCluster();
    for (const uid of ['ann', 'bob']) one.connect(uid);
    two.connect('cid');
    const room = service().createChannel('room');
    room.add('ann', 'connector-1');
    room.add('bob', 'connector-1');
    room.add('cid', 'connector-2');
    expect(await room.pushMessage('onChat', text(1), { except: 'ann' })).toEqual([]);
    expect(await room.pushMessage('onChat', text(2), { except: ['cid', 'nobody'] })).toEqual([]);
    expect(await room.pushMessage('onChat', text(3), { except: ['ann', 'bob'] })).toEqual([]);
    expect(one.calls).toEqual([['bob'], ['ann', 'bob']]);
    expect(two.calls).toEqual([['cid'], ['cid']]);
  });

  it('pushes by uids, grouped by frontend, taking `sid` or `frontendId`', async () => {
    const { one, two, service } = await startCluster();
    one.connect('ann');
    one.connect('bob');
    two.connect('cid');
    const receivers = [
      { uid: 'ann', sid: 'connector-1' },
      { uid: 'cid', frontendId: 'connector-2' },
      { uid: 'bob', frontendId: 'connector-1' },
    ];
    expect(await service().pushMessageByUids('onInvite', text('x'), receivers)).toEqual([]);
    expect(one.calls).toEqual([['ann', 'bob']]);
    expect(two.calls).toEqual([['cid']]);
  });

  it("fails a missing or stopped frontend's uids, logged once, while the others still get the push", async () => {
    const { membership, one, two, warnings, service } = await startCluster();
    const ann = one.connect('ann');
    two.connect('bob');
    const room = service().createChannel('room');
    room.add('ann', 'connector-1');
    room.add('bob', 'connector-2');
    room.add('cid', 'connector-3');
    expect((await room.pushMessage('onChat', text(1))).sort()).toEqual(['cid']);
    expect(await room.pushMessage('onChat', text(2))).toEqual(['cid']);
    expect(warnings).toEqual([expect.stringContaining('connector-3')]);

    membership.remove('connector-2');
    expect(await room.pushMessage('onChat', text(3))).toEqual(['bob', 'cid']);
    expect(one.inbox(ann).map((message) => message.body)).toEqual([text(1), text(2), text(3)]);
    expect(warnings).toHaveLength(2);
  });

  it('reports every uid, without rejecting, when every frontend is down', async () => {
    const { one, two, service } = await startCluster();
    one.connect('ann');
    const room = service().createChannel('room');
    room.add('ann', 'connector-1');
    room.add('bob', 'connector-2');
    expect(await room.pushMessage('onChat', text(1))).toEqual(['bob']);
    await one.server?.stop(0);
    await two.server?.stop(0);
    expect((await room.pushMessage('onChat', text(2))).sort()).toEqual(['ann', 'bob']);
    expect(one.calls).toHaveLength(1);
  });

  it('pushes to members on its own frontend by a direct call, the others by RPC', async () => {
    const { one, two, service } = await startCluster();
    const ann = one.connect('ann');
    const bob = two.connect('bob');
    const room = service('connector-1', one.pusher).createChannel('room');
    room.add('ann', 'connector-1');
    room.add('bob', 'connector-2');
    room.add('cid', 'connector-1');
    expect(await room.pushMessage('onChat', text('hi'))).toEqual(['cid']);
    expect(one.calls).toEqual([]);
    expect(two.calls).toEqual([['bob']]);
    expect(one.inbox(ann)).toEqual([{ route: 'onChat', body: text('hi') }]);
    expect(two.inbox(bob)).toEqual([{ route: 'onChat', body: text('hi') }]);
  });

  it('delivers 1,000 pushes made in one loop exactly once each, in order, on every member', async () => {
    const { one, two, service } = await startCluster();
    const sessions = [one.connect('ann'), one.connect('bob'), two.connect('cid'), two.connect('dan')];
    const eve = two.connect('eve');
    // from a backend, and from connector-1 itself (local part and remote part)
    for (const channels of [service(), service('connector-1', one.pusher)]) {
      const room = channels.createChannel('room');
      for (const session of sessions) room.add(session.uid ?? '', session.frontendId);
      const pushes: Promise<string[]>[] = [];
      for (let seq = 0; seq < 1000; seq++) pushes.push(room.pushMessage('onTick', { seq }));
      // the first pushes wait for their connection: members changing now must not change them
      room.leave('dan', 'connector-2');
      room.add('eve', 'connector-2');
      for (const failed of await Promise.all(pushes)) expect(failed).toEqual([]);
    }
    const expected = Array.from({ length: 1000 }, (_, seq) => ({ route: 'onTick', body: { seq } }));
    for (const session of sessions) {
      const inbox = session.frontendId === 'connector-1' ? one.inbox(session) : two.inbox(session);
      expect(inbox).toEqual([...expected, ...expected]);
    }
    expect(two.inbox(eve)).toEqual([]);
  });

  it('rejects a push on a destroyed channel', async () => {
    const { service } = await startCluster();
    const room = service().createChannel('room');
    room.destroy();
    await expect(room.pushMessage('onChat', text(1))).rejects.toMatchObject({
      code: ErrorCode.ChannelDestroyed,
    });
  });
});
