import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { LocalMembership } from '../membership/index.js';
import { recordingLogger } from '../testing/index.js';
import {
  ConsistentHashRouter,
  createRpcProxy,
  RemoteRegistry,
  type RouteFunction,
  type RpcAfterFilter,
  type RpcBeforeFilter,
  RpcClient,
  type RpcClientOptions,
  RpcServer,
} from './index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A remote file's default export in Pomelo's style: a factory taking the application. */
const chatRemoteFactory = (app: { serverId: string }) => ({
  async add(uid: string, room: string): Promise<string[]> {
    return [app.serverId, uid, room];
  },
  whoAmI(): string {
    return app.serverId;
  },
  async refuse(): Promise<never> {
    throw Object.assign(new Error('full'), { code: 'ROOM_FULL' });
  },
});

interface TestRemotes {
  chat: { chatRemote: typeof chatRemoteFactory };
}

async function startChatCluster(count: number): Promise<LocalMembership> {
  const membership = new LocalMembership();
  for (let index = 1; index <= count; index++) {
    const serverId = `chat-${index}`;
    const remotes = new RemoteRegistry();
    remotes.registerRemote('chat', 'chatRemote', chatRemoteFactory({ serverId }));
    const server = new RpcServer({ host: '127.0.0.1', port: 0, serverId, remotes });
    const port = await server.start();
    cleanups.push(() => server.stop(0));
    membership.add({ id: serverId, serverType: 'chat', host: '127.0.0.1', port, frontend: false });
  }
  return membership;
}

function newClient(membership: LocalMembership, options: Partial<RpcClientOptions> = {}): RpcClient {
  const client = new RpcClient({ serverId: 'connector-1', membership, ...options });
  cleanups.push(() => client.close());
  return client;
}

describe('typed RPC proxy', () => {
  it('routes by the session uid, which is not passed to the remote', async () => {
    const membership = await startChatCluster(3);
    const rpc = createRpcProxy<TestRemotes>(newClient(membership));
    const router = new ConsistentHashRouter(membership);
    cleanups.push(() => router.dispose());
    for (const uid of ['alice', 'bob', 'carol', 'dave', 'erin']) {
      const session = { uid, id: 1 };
      const [serverId, ...rest] = await rpc.chat.chatRemote.add(session, uid, 'lobby');
      expect(rest).toEqual([uid, 'lobby']);
      expect(serverId).toBe(router.route('chat', session));
      expect(await rpc.chat.chatRemote.whoAmI(session)).toBe(serverId);
    }
  });

  it('calls one named server with toServer, and every server with broadcast', async () => {
    const membership = await startChatCluster(3);
    const rpc = createRpcProxy<TestRemotes>(newClient(membership));
    expect(await rpc.chat.chatRemote.add.toServer('chat-2')('u1', 'room')).toEqual(['chat-2', 'u1', 'room']);
    expect(rpc.chat.chatRemote.add.toServer('chat-2')).toBe(rpc.chat.chatRemote.add.toServer('chat-2'));
    expect(await rpc.chat.chatRemote.add.broadcast('u1', 'room')).toEqual({
      'chat-1': ['chat-1', 'u1', 'room'],
      'chat-2': ['chat-2', 'u1', 'room'],
      'chat-3': ['chat-3', 'u1', 'room'],
    });
    await expect(rpc.chat.chatRemote.refuse.toServer('chat-1')()).rejects.toMatchObject({
      remoteCode: 'ROOM_FULL',
    });
  });

  it('uses the route function registered for the type', async () => {
    const membership = await startChatCluster(3);
    const routes = new Map<string, RouteFunction>([
      ['chat', (routeParam, servers) => servers[Number(routeParam) % servers.length]!.id],
    ]);
    const rpc = createRpcProxy<TestRemotes>(newClient(membership, { routes }));
    expect(await rpc.chat.chatRemote.whoAmI(0)).toBe('chat-1');
    expect(await rpc.chat.chatRemote.whoAmI(2)).toBe('chat-3');
    routes.set('chat', async () => 'chat-2');
    expect(await rpc.chat.chatRemote.whoAmI(0)).toBe('chat-2');
    routes.set('chat', () => '');
    await expect(rpc.chat.chatRemote.whoAmI(0)).rejects.toMatchObject({ code: ErrorCode.NoServerForRoute });
  });

  it('fails with NoServerForRoute when no server of the type runs', async () => {
    const rpc = createRpcProxy<TestRemotes>(newClient(new LocalMembership()));
    await expect(rpc.chat.chatRemote.whoAmI({ uid: 'u' })).rejects.toMatchObject({
      code: ErrorCode.NoServerForRoute,
    });
  });

  it('is never mistaken for a promise, and caches its members', async () => {
    const rpc = createRpcProxy<TestRemotes>(newClient(new LocalMembership()));
    expect(await Promise.resolve(rpc.chat)).toBe(rpc.chat);
    expect(rpc.chat.chatRemote).toBe(rpc.chat.chatRemote);
    expect(rpc.chat.chatRemote.add).toBe(rpc.chat.chatRemote.add);
  });
});

describe('RPC filters and debug log', () => {
  it('runs before and after filters around each call, and logs one line per call', async () => {
    const membership = await startChatCluster(1);
    const seen: string[] = [];
    const before: RpcBeforeFilter[] = [
      (target, args) => {
        seen.push(`before ${target.serverId} ${target.remote}.${target.method} ${JSON.stringify(args)}`);
        if (target.method === 'add') args[1] = 'rewritten';
      },
    ];
    const after: RpcAfterFilter[] = [
      (target, _args, outcome) => {
        seen.push(
          `after ${target.method} ${outcome.ok ? JSON.stringify(outcome.result) : outcome.error.message}`,
        );
      },
      () => {
        throw new Error('a broken after filter changes nothing');
      },
    ];
    const recording = recordingLogger();
    const logger = recording.logger;
    const client = newClient(membership, { filters: { before, after }, rpcDebugLog: true, logger });
    const rpc = createRpcProxy<TestRemotes>(client);
    expect(await rpc.chat.chatRemote.add.toServer('chat-1')('u1', 'lobby')).toEqual([
      'chat-1',
      'u1',
      'rewritten',
    ]);
    await expect(rpc.chat.chatRemote.refuse.toServer('chat-1')()).rejects.toMatchObject({
      remoteCode: 'ROOM_FULL',
    });
    expect(seen).toEqual([
      'before chat-1 chatRemote.add ["u1","lobby"]',
      'after add ["chat-1","u1","rewritten"]',
      'before chat-1 chatRemote.refuse []',
      expect.stringMatching(/^after refuse remote on chat-1 failed: full/),
    ]);
    const errors = recording.lines().filter((line) => line['level'] === 50);
    const lines = recording
      .lines()
      .filter((line) => line['level'] === 30)
      .map((line) => String(line['msg']));
    expect(errors).toHaveLength(2);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^rpc user chat\.chatRemote\.add -> chat-1 ok in [\d.]+ ms$/);
    expect(lines[1]).toMatch(
      /^rpc user chat\.chatRemote\.refuse -> chat-1 failed in [\d.]+ ms: SHADDOCK_ERR_RPC_REMOTE /,
    );
  });

  it('a throwing before filter fails the call without sending it', async () => {
    const membership = await startChatCluster(1);
    let sent = 0;
    const before: RpcBeforeFilter[] = [
      () => {
        throw Object.assign(new Error('too busy'), { code: 500 });
      },
    ];
    const after: RpcAfterFilter[] = [() => void sent++];
    const rpc = createRpcProxy<TestRemotes>(newClient(membership, { filters: { before, after } }));
    await expect(rpc.chat.chatRemote.whoAmI.toServer('chat-1')()).rejects.toMatchObject({
      message: 'too busy',
    });
    expect(sent).toBe(1);
  });
});
