// A cluster on a NATS that requires credentials (its own nats-server, started here with --user and
// --pass on a free port, JetStream on): nothing gets in without them, and with them (config/cluster.*
// `nats.user`/`nats.pass`) and the cluster secret, membership, RPC over NATS and orders all work.
// NATS credentials are what guard the membership bucket (see README "Security"): the bucket's
// entries are not signed, and a forged one could name a server's address, but no server talks to
// it, since every RPC connection proves both ways that each end knows the cluster secret.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { DriverConfig, DriverContext, ServerInfo } from 'shaddock';
import { RemoteRegistry, RpcClient, RpcServer } from 'shaddock/internal';
import { recordingLogger, waitUntil } from 'shaddock/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDrivers } from './index.js';
import { NatsUnreachable, sharedNatsConnections } from './nats-connection.js';

const USER = 'shaddock';
const PASS = 'a-nats-password-for-this-test';
const SECRET = 'the-cluster-secret-of-this-test-0123456789';

function hasNatsServer(): boolean {
  try {
    execFileSync('nats-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env['CI'] === 'true') throw new Error('nats-server is not installed (required under CI)');
    console.warn('skipping the NATS credentials test: no nats-server binary on PATH');
    return false;
  }
}
const available = hasNatsServer();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (result: boolean): void => {
      socket.destroy();
      resolve(result);
    };
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1', () => done(true));
  });
}

describe.skipIf(!available)('a cluster on a NATS with credentials', () => {
  let natsServer: ChildProcess | undefined;
  let store = '';
  let url = '';

  beforeAll(async () => {
    const port = await freePort();
    store = mkdtempSync(join(tmpdir(), 'shaddock-nats-auth-'));
    url = `nats://127.0.0.1:${port}`;
    natsServer = spawn(
      'nats-server',
      ['-a', '127.0.0.1', '-p', String(port), '--user', USER, '--pass', PASS, '-js', '-sd', store],
      { stdio: 'ignore' },
    );
    let ready = false;
    for (let tries = 0; tries < 100 && !ready; tries++) {
      ready = await listening(port);
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (!ready) throw new Error('the nats-server did not start');
  });

  afterAll(async () => {
    natsServer?.kill('SIGKILL');
    rmSync(store, { recursive: true, force: true });
  });

  function config(credentials: { user?: string; pass?: string }): DriverConfig {
    return {
      name: `auth${Date.now().toString(36)}`,
      nats: { servers: [url], ...credentials },
      rpc: { transport: 'nats' },
      secret: SECRET,
    };
  }

  it('lets nobody in without the credentials', async () => {
    await expect(connect({ servers: url, reconnect: false, timeout: 2_000 })).rejects.toThrow(
      /authorization/i,
    );
    const wrong = config({ user: USER, pass: 'not-the-password' });
    const server: ServerInfo = { id: 'intruder-1', serverType: 'x', host: '127.0.0.1', frontend: false };
    const connections = sharedNatsConnections(wrong, { server, logger: recordingLogger().logger });
    await expect(connections.acquire()).rejects.toBeInstanceOf(NatsUnreachable);
  });

  it('runs membership, RPC over NATS and orders with them and the cluster secret', async () => {
    const cluster = config({ user: USER, pass: PASS });
    const drivers = createDrivers(cluster);
    const stops: number[] = [];
    const member = (server: ServerInfo) =>
      ({
        server,
        logger: recordingLogger().logger,
        orders: { stop: async (deadlineMs: number) => void stops.push(deadlineMs) },
      }) as unknown as DriverContext;
    const chat = member({ id: 'chat-1', serverType: 'chat', host: '127.0.0.1', port: 1, frontend: false });
    const connector = member({
      id: 'connector-1',
      serverType: 'connector',
      host: '127.0.0.1',
      port: 2,
      frontend: true,
    });
    const chatMembership = drivers.membership!(chat);
    const connectorMembership = drivers.membership!(connector);
    const chatLink = drivers.rpcLink!(chat);
    const connectorLink = drivers.rpcLink!(connector);
    const control = drivers.controlPlane!(connector);
    const remotes = new RemoteRegistry();
    remotes.registerRemote('chat', 'chatRemote', { hello: (name: string) => `hello, ${name}` });
    const rpcServer = new RpcServer({
      host: '127.0.0.1',
      port: 0,
      serverId: 'chat-1',
      remotes,
      link: chatLink,
      secret: SECRET,
    });
    let client: RpcClient | undefined;
    try {
      await Promise.all([chatMembership.start(), connectorMembership.start()]);
      await Promise.all([chatMembership.ready(), connectorMembership.ready()]);
      await waitUntil(
        () =>
          connectorMembership.get('chat-1') !== undefined && chatMembership.get('connector-1') !== undefined,
        5_000,
        'each sees the other',
      );
      await rpcServer.start();
      client = new RpcClient({
        serverId: 'connector-1',
        membership: connectorMembership,
        link: connectorLink,
        secret: SECRET,
        timeout: 5_000,
      });
      const hello = { namespace: 'user', serverType: 'chat', remote: 'chatRemote', method: 'hello' } as const;
      expect(await client.invoke('chat-1', hello, ['ann'])).toBe('hello, ann');
      await control.order('chat-1', { order: 'stop', deadlineMs: 4_321 }, 2_000);
      await waitUntil(() => stops.length === 1, 2_000, 'the order is carried out');
      expect(stops).toEqual([4_321]);
    } finally {
      client?.close();
      await rpcServer.stop(0);
      await control.close();
      await Promise.all([chatLink.close?.(), connectorLink.close?.()]);
      await Promise.all([chatMembership.stop(), connectorMembership.stop()]);
    }
  });
});
