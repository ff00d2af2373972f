import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, ServerUnavailable } from '../errors.js';
import { LocalMembership } from '../membership/index.js';
import {
  DEVELOPMENT_CLUSTER_SECRET,
  type FramedListener,
  type FramedSocket,
  listenFramed,
  RPC_PURPOSE,
  type ServerAuthentication,
} from '../transport/index.js';
import { RpcClient, type RpcTarget } from './index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * A stand-in server speaking the RPC frames: it answers `echo` at once, holds every other call,
 * and lets the test cut its connections.
 */
async function startHoldingServer(
  membership: LocalMembership,
  id: string,
): Promise<{ listener: FramedListener; held: unknown[]; connections: () => number }> {
  const held: unknown[] = [];
  let connections = 0;
  const listener = await listenFramed({
    host: '127.0.0.1',
    port: 0,
    authenticate: authenticateAs(id),
    onConnection: (socket: FramedSocket) => {
      connections++;
      return {
        onMessage: (message) => {
          const request = message as [number, string, string, string, string, unknown[]];
          if (request[4] === 'echo') socket.send([request[0], 0, request[5][0]]);
          else held.push(message);
        },
      };
    },
  });
  cleanups.push(() => listener.close());
  membership.add({ id, serverType: 'chat', host: '127.0.0.1', port: listener.port, frontend: false });
  return { listener, held, connections: () => connections };
}

/** What a stand-in server proves, as an RpcServer of that id does (no secret given: the development one). */
function authenticateAs(id: string): ServerAuthentication {
  return { secret: DEVELOPMENT_CLUSTER_SECRET, self: id, purpose: RPC_PURPOSE };
}

function newClient(membership: LocalMembership): RpcClient {
  // a deadline far beyond the test's own timeout: a call that passes only means it failed fast
  const client = new RpcClient({ serverId: 'connector-1', membership, timeout: 60_000 });
  cleanups.push(() => client.close());
  return client;
}

const chat = (method: string): RpcTarget => ({
  namespace: 'user',
  serverType: 'chat',
  remote: 'chatRemote',
  method,
});

function hold(client: RpcClient, serverId: string, count: number): Promise<unknown>[] {
  return Array.from({ length: count }, () => client.invoke(serverId, chat('hold'), []));
}

describe('RPC failing fast', () => {
  it('fails at once for a server not in membership, or without an rpc port', async () => {
    const membership = new LocalMembership([
      { id: 'gate-1', serverType: 'gate', host: '127.0.0.1', frontend: true },
    ]);
    const client = newClient(membership);
    const missing = client.invoke('chat-9', chat('echo'), []);
    await expect(missing).rejects.toBeInstanceOf(ServerUnavailable);
    await expect(missing).rejects.toMatchObject({ code: ErrorCode.ServerUnavailable, serverId: 'chat-9' });
    await expect(client.invoke('gate-1', chat('echo'), [])).rejects.toThrow(/no rpc port/);
  });

  it('opens one connection for concurrent first calls', async () => {
    const membership = new LocalMembership();
    const server = await startHoldingServer(membership, 'chat-1');
    const client = newClient(membership);
    const answers = await Promise.all(
      [1, 2, 3, 4, 5].map((value) => client.invoke('chat-1', chat('echo'), [value])),
    );
    expect(answers).toEqual([1, 2, 3, 4, 5]);
    expect(server.connections()).toBe(1);
  });

  it('fails every pending call at once when the server drops the connection, then reconnects', async () => {
    const membership = new LocalMembership();
    const server = await startHoldingServer(membership, 'chat-1');
    const client = newClient(membership);
    const calls = hold(client, 'chat-1', 50);
    await expect.poll(() => server.held.length).toBe(50);
    for (const socket of server.listener.sockets) socket.destroy();
    const outcomes = await Promise.allSettled(calls);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(ServerUnavailable);
    }
    expect(client.pendingCount).toBe(0);
    expect(await client.invoke('chat-1', chat('echo'), ['again'])).toBe('again');
    expect(server.connections()).toBe(2);
  });

  it('fails pending calls at once and closes the connection when membership removes the server', async () => {
    const membership = new LocalMembership();
    const server = await startHoldingServer(membership, 'chat-1');
    const client = newClient(membership);
    const calls = hold(client, 'chat-1', 10);
    await expect.poll(() => server.held.length).toBe(10);
    membership.remove('chat-1');
    for (const call of calls)
      await expect(call).rejects.toMatchObject({ message: /removed from membership/ });
    await expect.poll(() => server.listener.sockets.size).toBe(0);
    await expect(client.invoke('chat-1', chat('echo'), [])).rejects.toThrow(/not in membership/);
  });

  it('fails calls queued behind a connect that is refused', async () => {
    const membership = new LocalMembership();
    const server = await startHoldingServer(membership, 'chat-1');
    await server.listener.close();
    const client = newClient(membership);
    const calls = [client.invoke('chat-1', chat('echo'), [1]), client.invoke('chat-1', chat('echo'), [2])];
    for (const call of calls) await expect(call).rejects.toMatchObject({ message: /cannot connect/ });
  });

  it('fails pending calls when the client closes, and refuses calls after', async () => {
    const membership = new LocalMembership();
    const server = await startHoldingServer(membership, 'chat-1');
    const client = newClient(membership);
    const calls = hold(client, 'chat-1', 3);
    await expect.poll(() => server.held.length).toBe(3);
    client.close();
    for (const call of calls) await expect(call).rejects.toBeInstanceOf(ServerUnavailable);
    await expect(client.invoke('chat-1', chat('echo'), [])).rejects.toThrow(/closed/);
  });

  it('treats a malformed reply as a broken connection', async () => {
    const membership = new LocalMembership();
    const listener = await listenFramed({
      host: '127.0.0.1',
      port: 0,
      authenticate: authenticateAs('chat-1'),
      onConnection: (socket) => ({ onMessage: () => socket.send({ not: 'a reply' }) }),
    });
    cleanups.push(() => listener.close());
    membership.add({
      id: 'chat-1',
      serverType: 'chat',
      host: '127.0.0.1',
      port: listener.port,
      frontend: false,
    });
    const client = newClient(membership);
    await expect(client.invoke('chat-1', chat('echo'), [])).rejects.toMatchObject({
      code: ErrorCode.ServerUnavailable,
      message: /malformed reply/,
    });
  });
});
