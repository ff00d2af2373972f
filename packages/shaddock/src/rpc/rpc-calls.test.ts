import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, RemoteError, RpcTimeout, ServerUnavailable, ShaddockError } from '../errors.js';
import { LocalMembership } from '../membership/index.js';
import { connectFramed, DEVELOPMENT_CLUSTER_SECRET, RPC_PURPOSE } from '../transport/index.js';
import { RemoteRegistry, RpcClient, type RpcClientOptions, RpcServer, type RpcTarget } from './index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

const gate = deferred();

class ChatRemote {
  readonly serverId: string;
  constructor(serverId: string) {
    this.serverId = serverId;
  }
  async add(uid: string, room: string): Promise<string[]> {
    return [this.serverId, uid, room];
  }
  echo(value: unknown): unknown {
    return value;
  }
  async fail(code?: string | number): Promise<never> {
    throw Object.assign(new Error('no such room'), code === undefined ? {} : { code });
  }
  never(): Promise<never> {
    return new Promise(() => {});
  }
  async waitForGate(): Promise<string> {
    await gate.promise;
    return 'released';
  }
  unencodable(): unknown {
    return { big: 2n ** 70n };
  }
}

async function startChat(membership: LocalMembership, id: string): Promise<RpcServer> {
  const remotes = new RemoteRegistry();
  remotes.registerRemote('chat', 'chatRemote', new ChatRemote(id));
  remotes.registerSystemRemote('chat', 'msgRemote', {
    forwardMessage: (route: string) => `forwarded ${route}`,
  });
  const server = new RpcServer({ host: '127.0.0.1', port: 0, serverId: id, remotes });
  const port = await server.start();
  cleanups.push(() => server.stop(0));
  membership.add({ id, serverType: 'chat', host: '127.0.0.1', port, frontend: false });
  return server;
}

function newClient(membership: LocalMembership, options: Partial<RpcClientOptions> = {}): RpcClient {
  const client = new RpcClient({ serverId: 'connector-1', membership, ...options });
  cleanups.push(() => client.close());
  return client;
}

const chat = (method: string): RpcTarget => ({
  namespace: 'user',
  serverType: 'chat',
  remote: 'chatRemote',
  method,
});

describe('RPC calls over TCP', () => {
  it('calls a remote and gets its result', async () => {
    const membership = new LocalMembership();
    await startChat(membership, 'chat-1');
    const client = newClient(membership);
    expect(await client.invoke('chat-1', chat('add'), ['u1', 'lobby'])).toEqual(['chat-1', 'u1', 'lobby']);
    const value = { nested: [1, 'two', { three: true }], nothing: null, bytes: Buffer.from([1, 2]) };
    expect(await client.invoke('chat-1', chat('echo'), [value])).toEqual(value);
    expect(await client.invoke('chat-1', chat('echo'), [undefined])).toBeUndefined();
    const sys: RpcTarget = {
      namespace: 'sys',
      serverType: 'chat',
      remote: 'msgRemote',
      method: 'forwardMessage',
    };
    expect(await client.invoke('chat-1', sys, ['chat.chatHandler.send'])).toBe(
      'forwarded chat.chatHandler.send',
    );
  });

  it('runs 1000 concurrent calls on one connection, each getting its own answer', async () => {
    const membership = new LocalMembership();
    await startChat(membership, 'chat-1');
    const client = newClient(membership);
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, index) => client.invoke('chat-1', chat('echo'), [index])),
    );
    expect(results).toEqual(Array.from({ length: 1000 }, (_, index) => index));
    expect(client.pendingCount).toBe(0);
  });

  it('fails with RemoteError carrying the remote message and its string or numeric code', async () => {
    const membership = new LocalMembership();
    await startChat(membership, 'chat-1');
    const client = newClient(membership);
    const failure = client.invoke('chat-1', chat('fail'), ['ROOM_MISSING']);
    await expect(failure).rejects.toBeInstanceOf(RemoteError);
    await expect(failure).rejects.toMatchObject({
      code: ErrorCode.RemoteError,
      remoteCode: 'ROOM_MISSING',
      serverId: 'chat-1',
      message: expect.stringContaining('no such room'),
    });
    await expect(client.invoke('chat-1', chat('fail'), [500])).rejects.toMatchObject({ remoteCode: 500 });
    await expect(client.invoke('chat-1', chat('fail'), [])).rejects.toMatchObject({ remoteCode: undefined });
  });

  it('refuses constructor, __proto__, toString and missing methods with UnknownRemote', async () => {
    const membership = new LocalMembership();
    await startChat(membership, 'chat-1');
    const client = newClient(membership);
    for (const method of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'missing', 'serverId']) {
      const call = client.invoke('chat-1', chat(method), []);
      await expect(call).rejects.toBeInstanceOf(ShaddockError);
      await expect(call).rejects.toMatchObject({ code: ErrorCode.UnknownRemote });
    }
    await expect(client.invoke('chat-1', { ...chat('add'), remote: 'nope' }, [])).rejects.toMatchObject({
      code: ErrorCode.UnknownRemote,
    });
    await expect(client.invoke('chat-1', { ...chat('add'), namespace: 'sys' }, [])).rejects.toMatchObject({
      code: ErrorCode.UnknownRemote,
    });
    // the connection is still good
    expect(await client.invoke('chat-1', chat('echo'), ['ok'])).toBe('ok');
  });

  it('times out with RpcTimeout, per client or per call, and keeps the connection', async () => {
    const membership = new LocalMembership();
    await startChat(membership, 'chat-1');
    const client = newClient(membership, { timeout: 50 });
    const call = client.invoke('chat-1', chat('never'), []);
    await expect(call).rejects.toBeInstanceOf(RpcTimeout);
    await expect(call).rejects.toMatchObject({
      code: ErrorCode.RpcTimeout,
      message: /chat\.chatRemote\.never/,
    });
    const patient = newClient(membership, { timeout: 60_000 });
    await expect(patient.invoke('chat-1', chat('never'), [], { timeout: 20 })).rejects.toBeInstanceOf(
      RpcTimeout,
    );
    expect(await client.invoke('chat-1', chat('echo'), ['after'])).toBe('after');
    expect(client.pendingCount).toBe(0);
  });

  it('answers a result that cannot be encoded with a protocol error', async () => {
    const membership = new LocalMembership();
    await startChat(membership, 'chat-1');
    const client = newClient(membership);
    // msgpackr refuses integers beyond 64 bits
    await expect(client.invoke('chat-1', chat('unencodable'), [])).rejects.toMatchObject({
      code: ErrorCode.RpcProtocol,
    });
    await expect(client.invoke('chat-1', chat('echo'), [2n ** 70n])).rejects.toMatchObject({
      code: ErrorCode.RpcProtocol,
    });
  });

  it('runs calls to its own server id in-process through the local registry', async () => {
    const membership = new LocalMembership();
    const local = new RemoteRegistry();
    local.registerRemote('chat', 'chatRemote', new ChatRemote('connector-1'));
    const client = newClient(membership, { local });
    expect(await client.invoke('connector-1', chat('add'), ['u1', 'r'])).toEqual(['connector-1', 'u1', 'r']);
    await expect(client.invoke('connector-1', chat('fail'), [7])).rejects.toMatchObject({
      remoteCode: 7,
      serverId: 'connector-1',
    });
    await expect(client.invoke('connector-1', chat('constructor'), [])).rejects.toMatchObject({
      code: ErrorCode.UnknownRemote,
    });
    await expect(client.invoke('connector-1', chat('never'), [], { timeout: 10 })).rejects.toBeInstanceOf(
      RpcTimeout,
    );
  });

  it('stops gracefully: in-flight calls finish, new calls are refused as stopping', async () => {
    const membership = new LocalMembership();
    const server = await startChat(membership, 'chat-1');
    const client = newClient(membership, { timeout: 60_000 });
    const inFlight = [
      client.invoke('chat-1', chat('waitForGate'), []),
      client.invoke('chat-1', chat('waitForGate'), []),
    ];
    await expect.poll(() => server.inFlight).toBe(2);
    const stopped = server.stop(60_000);
    const refused = client.invoke('chat-1', chat('echo'), ['late']);
    await expect(refused).rejects.toBeInstanceOf(ServerUnavailable);
    await expect(refused).rejects.toMatchObject({ message: /stopping/ });
    gate.resolve();
    expect(await Promise.all(inFlight)).toEqual(['released', 'released']);
    await stopped;
    await expect(client.invoke('chat-1', chat('echo'), ['gone'])).rejects.toBeInstanceOf(ServerUnavailable);
  });

  it('refuses at once with a typed error while its port lingers after the drain, never with a closed port', async () => {
    const membership = new LocalMembership();
    const server = await startChat(membership, 'chat-1');
    const client = newClient(membership, { timeout: 60_000 });
    expect(await client.invoke('chat-1', chat('echo'), ['before'])).toBe('before');
    // nothing in flight: drained at once, then the port stays open 2 s (a server that just left membership)
    const stopped = server.stop(5_000, 2_000);
    await server.drain();
    const late = client.invoke('chat-1', chat('echo'), ['late']);
    await expect(late).rejects.toBeInstanceOf(ServerUnavailable);
    await expect(late).rejects.toMatchObject({ message: /stopping/ });
    await stopped;
  });

  it('names targets by route id after the hello, fresh target objects and unknown names included, across reconnects', async () => {
    const membership = new LocalMembership();
    let server = await startChat(membership, 'chat-1');
    const { port } = membership.get('chat-1')!;
    const client = newClient(membership);
    for (let connection = 0; connection < 2; connection++) {
      for (let round = 0; round < 3; round++) {
        expect(await client.invoke('chat-1', chat('echo'), [round])).toBe(round);
        const room = `room-${round}`;
        expect(await client.invoke('chat-1', chat('add'), ['u1', room])).toEqual(['chat-1', 'u1', room]);
        await expect(client.invoke('chat-1', chat('toString'), [])).rejects.toMatchObject({
          code: ErrorCode.UnknownRemote,
        });
      }
      // the same client connection reconnects to a new server, which keeps none of the old route ids
      await server.stop(0);
      await expect.poll(() => client.invoke('chat-1', chat('echo'), [0]).catch(() => 'down')).toBe('down');
      const remotes = new RemoteRegistry();
      remotes.registerRemote('chat', 'chatRemote', new ChatRemote('chat-1'));
      server = new RpcServer({ host: '127.0.0.1', port: port!, serverId: 'chat-1', remotes });
      await server.start();
      cleanups.push(() => server.stop(0));
    }
  });

  it('says hello first, and drops a connection that uses a route id it never named', async () => {
    const membership = new LocalMembership();
    await startChat(membership, 'chat-1');
    const received: unknown[] = [];
    const socket = await connectFramed({
      host: '127.0.0.1',
      port: membership.get('chat-1')!.port!,
      authenticate: {
        secret: DEVELOPMENT_CLUSTER_SECRET,
        self: 'test',
        peer: 'chat-1',
        purpose: RPC_PURPOSE,
      },
      onMessage: (message) => received.push(message),
    });
    await expect.poll(() => received.length).toBe(1);
    socket.send([1, 0, ['never named']]);
    await socket.closed;
    expect(received).toEqual([[0, 3, 1]]);
  });
});
