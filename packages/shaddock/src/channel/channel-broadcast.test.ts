import type { JsonObject } from '@shaddock/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { LocalMembership } from '../membership/index.js';
import { RemoteRegistry, RpcClient, RpcServer } from '../rpc/index.js';
import {
  type BroadcastFilter,
  ChannelService,
  createChannelRemote,
  FrontendPusher,
  type PushSession,
} from './index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A frontend with sessions `<id>/a` (bound to `ann`), `<id>/b` (bound to `bob`) and `<id>/-` (not bound). */
interface Frontend {
  readonly id: string;
  readonly pusher: FrontendPusher;
  /** Per send: the names of its sessions. */
  readonly sends: string[][];
  encodes: number;
  server: RpcServer;
}

let nextSessionId = 1;

async function startFrontend(
  membership: LocalMembership,
  id: string,
  filter?: BroadcastFilter,
): Promise<Frontend> {
  const sessions = [
    { id: nextSessionId++, uid: 'ann', frontendId: id },
    { id: nextSessionId++, uid: 'bob', frontendId: id },
    { id: nextSessionId++, uid: undefined, frontendId: id },
  ];
  const name = (session: PushSession): string => `${id}/${session.uid?.[0] ?? '-'}`;
  const frontend = { id, sends: [] as string[][], encodes: 0 } as Frontend;
  const pusher = new FrontendPusher({
    connector: () => ({
      encodePush: (route: string, body: JsonObject) => {
        frontend.encodes++;
        return new TextEncoder().encode(JSON.stringify({ route, body }));
      },
      send: (_bytes: Uint8Array, targets: Iterable<PushSession>) =>
        frontend.sends.push([...targets].map(name)),
    }),
    sessionService: () => ({
      getByUid: (uid: string) => sessions.filter((session) => session.uid === uid),
      forEachSession: (visit) => sessions.forEach(visit),
      forEachBoundSession: (visit) => {
        for (const session of sessions) if (session.uid !== undefined) visit(session);
      },
    }),
    broadcastFilter: () => filter,
  });
  const registry = new RemoteRegistry();
  registry.registerSystemRemote('connector', 'channelRemote', createChannelRemote(pusher));
  const server = new RpcServer({ host: '127.0.0.1', port: 0, serverId: id, remotes: registry });
  const port = await server.start();
  cleanups.push(() => server.stop(0));
  membership.add({ id, serverType: 'connector', host: '127.0.0.1', port, frontend: true });
  return Object.assign(frontend, { pusher, server });
}

function newService(
  membership: LocalMembership,
  serverId = 'chat-1',
  local?: FrontendPusher,
): ChannelService {
  const client = new RpcClient({ serverId, membership });
  cleanups.push(() => client.close());
  return new ChannelService({ serverId, membership, rpcClient: () => client, local, logger: { warn() {} } });
}

describe('ChannelService.broadcast', () => {
  it('reaches every session of every frontend of the type, one encode each', async () => {
    const membership = new LocalMembership();
    const one = await startFrontend(membership, 'connector-1');
    const two = await startFrontend(membership, 'connector-2');
    await newService(membership).broadcast('connector', 'onNotice', { text: 'hi' });
    expect(one.sends).toEqual([['connector-1/a', 'connector-1/b', 'connector-1/-']]);
    expect(two.sends).toEqual([['connector-2/a', 'connector-2/b', 'connector-2/-']]);
    expect([one.encodes, two.encodes]).toEqual([1, 1]);
    await newService(membership).broadcast('gate', 'onNotice', {});
    expect(one.sends).toHaveLength(1);
  });

  it('keeps to bound sessions with `binded`, and applies broadcastFilter with filterParam', async () => {
    const membership = new LocalMembership();
    const seen: unknown[] = [];
    const filter: BroadcastFilter = (session, route, body, filterParam) => {
      seen.push([route, body, filterParam]);
      return session.uid !== filterParam;
    };
    const one = await startFrontend(membership, 'connector-1', filter);
    const channels = newService(membership);
    await channels.broadcast('connector', 'onNotice', { n: 1 }, { binded: true });
    await channels.broadcast('connector', 'onNotice', { n: 2 }, { binded: true, filterParam: 'ann' });
    await channels.broadcast('connector', 'onNotice', { n: 3 }, { filterParam: 'bob' });
    expect(one.sends).toEqual([
      ['connector-1/a', 'connector-1/b'],
      ['connector-1/b'],
      ['connector-1/a', 'connector-1/-'],
    ]);
    expect(seen.slice(0, 3)).toEqual([
      ['onNotice', { n: 1 }, undefined],
      ['onNotice', { n: 1 }, undefined],
      ['onNotice', { n: 2 }, 'ann'],
    ]);
    // nothing passes the filter: nothing is encoded
    await channels.broadcast('connector', 'onNotice', { n: 4 }, { binded: true, filterParam: 'ann' });
    const everyoneOut: BroadcastFilter = () => false;
    const two = await startFrontend(membership, 'connector-2', everyoneOut);
    await channels.broadcast('connector', 'onNotice', { n: 5 });
    expect(two.encodes).toBe(0);
    expect(two.sends).toEqual([]);
  });

  it('broadcasts to its own frontend by a direct call', async () => {
    const membership = new LocalMembership();
    const one = await startFrontend(membership, 'connector-1');
    await one.server.stop(0);
    // its RPC server is down: only a direct call can reach it
    await newService(membership, 'connector-1', one.pusher).broadcast('connector', 'onNotice', {});
    expect(one.sends).toEqual([['connector-1/a', 'connector-1/b', 'connector-1/-']]);
  });

  it('resolves when some frontend took it, rejects with BroadcastFailed when none did', async () => {
    const membership = new LocalMembership();
    const one = await startFrontend(membership, 'connector-1');
    const two = await startFrontend(membership, 'connector-2');
    const channels = newService(membership);
    await two.server.stop(0);
    await expect(channels.broadcast('connector', 'onNotice', { n: 1 })).resolves.toBeUndefined();
    expect(one.sends).toHaveLength(1);
    await one.server.stop(0);
    await expect(channels.broadcast('connector', 'onNotice', { n: 2 })).rejects.toMatchObject({
      code: ErrorCode.BroadcastFailed,
      cause: { errors: [expect.anything(), expect.anything()] },
    });
  });
});
