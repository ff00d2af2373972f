// Attacks on the RPC port, against a real server process (rpc-auth-server.ts) whose remote
// `mark` prints a line each time it runs: a forged client (plain TCP with the framing, no secret,
// a wrong one), a replayed handshake, an oversize frame, a silent or slow peer, a peer that does
// not read its replies. Each is closed with nothing dispatched (no `mark` line, the count
// unchanged) and logged once per reason, and a client with the secret is served throughout. Then
// production without a secret refuses to start, and a whole cluster with a secret works.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { recordingProxy } from '@shaddock/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, ServerUnavailable } from '../../src/errors.js';
import { LocalMembership } from '../../src/membership/index.js';
import { RpcClient, type RpcTarget } from '../../src/rpc/index.js';
import {
  clusterProof,
  connectFramed,
  DEVELOPMENT_CLUSTER_SECRET,
  encodeFrame,
  FrameReader,
  newNonce,
  RPC_PURPOSE,
} from '../../src/transport/index.js';
import { makeClusterFolder, runEntry, TestCluster } from '../support/cluster-app.js';
import { waitGone } from '../support/processes.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const LOADER = join(HERE, '..', 'fixtures', 'rpc-typescript-loader.mjs');
const SECRET = 'a-test-cluster-secret-of-more-than-32-characters';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A running rpc-auth-server and what it printed. */
interface ServerProcess {
  readonly port: number;
  readonly child: ChildProcess;
  /** The tags of every `mark` that ran. */
  marks(): unknown[];
  /** Its log lines whose `msg` matches. */
  logged(pattern: RegExp): Record<string, unknown>[];
}

async function startServer(env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', LOADER, join(HERE, 'rpc-auth-server.ts')], {
    env: { ...process.env, RPC_AUTH_SECRET: SECRET, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const lines: Record<string, unknown>[] = [];
  let listening: (port: number) => void = () => {};
  const port = new Promise<number>((resolve) => {
    listening = resolve;
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    if (typeof parsed['port'] === 'number') listening(parsed['port']);
    else lines.push(parsed);
  });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the rpc-auth server exited early (${String(code)})`);
  });
  return {
    port: await Promise.race([port, exited]),
    child,
    marks: () => lines.filter((line) => line['ran'] === 'mark').map((line) => line['tag']),
    logged: (pattern) => lines.filter((line) => typeof line['msg'] === 'string' && pattern.test(line['msg'])),
  };
}

const chat = (method: string): RpcTarget => ({
  namespace: 'user',
  serverType: 'chat',
  remote: 'chatRemote',
  method,
});

/** An RpcClient (as `connector-1`) with this secret (`undefined`: none given), reaching chat-1 at `port`. */
function client(port: number, secret: string | undefined, maxFrameLength?: number): RpcClient {
  const membership = new LocalMembership([
    { id: 'chat-1', serverType: 'chat', host: '127.0.0.1', port, frontend: false },
  ]);
  const made = new RpcClient({
    serverId: 'connector-1',
    membership,
    timeout: 5_000,
    ...(secret === undefined ? {} : { secret }),
    ...(maxFrameLength === undefined ? {} : { maxFrameLength }),
  });
  cleanups.push(() => made.close());
  return made;
}

/** A plain TCP socket to `port`, the frames it receives decoded, and when it closed. */
async function raw(port: number): Promise<{
  socket: Socket;
  frames: unknown[];
  closed: Promise<number>;
  next(): Promise<unknown>;
}> {
  const socket = connect({ host: '127.0.0.1', port });
  cleanups.push(() => socket.destroy());
  const frames: unknown[] = [];
  const reader = new FrameReader();
  socket.on('data', (chunk) => reader.push(chunk, (message) => void frames.push(message)));
  socket.on('error', () => {});
  const openedAt = performance.now();
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => resolve(performance.now() - openedAt)),
  );
  await once(socket, 'connect');
  let read = 0;
  return {
    socket,
    frames,
    closed,
    async next() {
      await expect.poll(() => frames.length > read, { timeout: 5_000 }).toBe(true);
      return frames[read++];
    },
  };
}

/** A call frame naming `mark`, as an RpcClient writes it. */
function markCall(id: number, tag: string): Buffer {
  return encodeFrame([id, 'user', 'chat', 'chatRemote', 'mark', [tag]]);
}

/** The client's answer to `challenge`, with this secret. */
function answerTo(challenge: unknown, secret: string, self = 'intruder'): Buffer {
  const serverNonce = (challenge as [string, number, Uint8Array])[2];
  const clientNonce = newNonce();
  const proof = clusterProof(secret, `${RPC_PURPOSE} client`, serverNonce, clientNonce, self, 'chat-1');
  return encodeFrame(['answer', self, clientNonce, proof]);
}

describe('the RPC port refuses whoever does not prove it belongs to the cluster', () => {
  it('closes a forged client after its first frame and runs nothing: no secret, a wrong one, pipelined calls', async () => {
    const server = await startServer();
    const legit = client(server.port, SECRET);
    expect(await legit.invoke('chat-1', chat('mark'), ['legit'])).toBe(1);

    // plain TCP with the framing: a call as the first frame, before even reading the challenge
    const eager = await raw(server.port);
    eager.socket.write(Buffer.concat([markCall(1, 'forged'), markCall(2, 'forged')]));
    await eager.closed;
    expect(eager.frames).toEqual([['challenge', 1, expect.any(Uint8Array)]]);

    // it reads the challenge, then sends a call
    const patient = await raw(server.port);
    expect(await patient.next()).toEqual(['challenge', 1, expect.any(Uint8Array)]);
    patient.socket.write(markCall(1, 'forged'));
    await patient.closed;

    // a well-formed answer under a wrong secret, with calls right behind it in the same write
    const wrong = await raw(server.port);
    const challenge = await wrong.next();
    wrong.socket.write(
      Buffer.concat([answerTo(challenge, 'not-the-cluster-secret-but-long-enough!!'), markCall(1, 'forged')]),
    );
    await wrong.closed;
    expect(wrong.frames).toHaveLength(1);

    // the development secret is just another wrong one here
    const development = await raw(server.port);
    development.socket.write(answerTo(await development.next(), DEVELOPMENT_CLUSTER_SECRET));
    await development.closed;

    // Shaddock's own client, with a wrong secret or none: the call fails, the server ran nothing
    for (const secret of ['not-the-cluster-secret-but-long-enough!!', undefined]) {
      const outsider = client(server.port, secret);
      const failure = await outsider
        .invoke('chat-1', chat('mark'), ['forged'])
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ServerUnavailable);
    }
    await expect(
      connectFramed({
        host: '127.0.0.1',
        port: server.port,
        authenticate: {
          secret: 'not-the-cluster-secret-but-long-enough!!',
          self: 'x',
          peer: 'chat-1',
          purpose: RPC_PURPOSE,
        },
        onMessage: () => {},
      }),
    ).rejects.toThrow(/chat-1/);

    expect(await legit.invoke('chat-1', chat('count'), [])).toBe(1);
    expect(server.marks()).toEqual(['legit']);
    // logged by reason, once per window, whatever the number of attempts
    await expect.poll(() => server.logged(/^refused an RPC connection/).length).toBe(2);
    expect(server.logged(/first frame is not a handshake answer/)).toHaveLength(1);
    expect(server.logged(/wrong proof/)).toHaveLength(1);
    for (const line of server.logged(/^refused/)) expect(JSON.stringify(line)).not.toContain('forged');
  });

  it('refuses a recorded handshake replayed on a new connection', async () => {
    const server = await startServer();
    // a proxy between a real client and the server, recording what the client sends
    const proxy = await recordingProxy(server.port);
    cleanups.push(() => proxy.close());
    const proxied = client(proxy.port, SECRET);
    expect(await proxied.invoke('chat-1', chat('mark'), ['recorded'])).toBe(1);
    proxied.close();
    const bytes = proxy.recorded();
    expect(bytes.length).toBeGreaterThan(100);

    // the same bytes (answer and call) on a new connection: the server's nonce is new
    const replay = await raw(server.port);
    await replay.next();
    replay.socket.write(bytes);
    await replay.closed;
    // and written before the challenge is even read
    const blind = await raw(server.port);
    blind.socket.write(bytes);
    await blind.closed;

    expect(await client(server.port, SECRET).invoke('chat-1', chat('count'), [])).toBe(1);
    expect(server.marks()).toEqual(['recorded']);
    await expect.poll(() => server.logged(/wrong proof/).length).toBe(1);
  });

  it('closes only the peer that sends an oversize frame, before or after it is authenticated', async () => {
    const server = await startServer({ RPC_AUTH_MAX_FRAME: String(64 * 1024) });
    const legit = client(server.port, SECRET);
    expect(await legit.invoke('chat-1', chat('echo'), ['before'])).toBe('before');

    // before authentication a frame may be a handshake answer, no more (1 KiB)
    const early = await raw(server.port);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(10 * 1024 * 1024);
    early.socket.write(header);
    await early.closed;

    // authenticated, then a frame over the server's 64 KiB
    const member = await connectFramed({
      host: '127.0.0.1',
      port: server.port,
      authenticate: { secret: SECRET, self: 'connector-2', peer: 'chat-1', purpose: RPC_PURPOSE },
      onMessage: () => {},
    });
    cleanups.push(() => member.destroy());
    member.send([1, 'user', 'chat', 'chatRemote', 'mark', ['x'.repeat(100 * 1024)]]);
    await member.closed;

    expect(await legit.invoke('chat-1', chat('echo'), ['after'])).toBe('after');
    expect(server.marks()).toEqual([]);

    // a member that knows the bound (the cluster's one rpc.maxFrameLength): a call or a result too
    // large fails alone, and its connection goes on
    const bounded = client(server.port, SECRET, 64 * 1024);
    await expect(bounded.invoke('chat-1', chat('echo'), ['x'.repeat(100 * 1024)])).rejects.toMatchObject({
      code: ErrorCode.RpcProtocol,
      message: /arguments could not be encoded: a frame of \d+ bytes exceeds/,
    });
    await expect(bounded.invoke('chat-1', chat('big'), [100 * 1024])).rejects.toMatchObject({
      code: ErrorCode.RpcProtocol,
      message: /the result could not be encoded: a frame of \d+ bytes exceeds/,
    });
    expect(await bounded.invoke('chat-1', chat('echo'), ['fine'])).toBe('fine');
    await expect.poll(() => server.logged(/oversize frame before authentication/).length).toBe(1);
    await expect.poll(() => server.logged(/exceeds maxFrameLength/).length).toBe(1);
  });

  it('closes a silent peer after the idle timeout, and a slow one at the handshake deadline', async () => {
    const server = await startServer({ RPC_AUTH_IDLE_MS: '300', RPC_AUTH_HANDSHAKE_MS: '1500' });
    const silent = await raw(server.port);
    const silentFor = await silent.closed;
    expect(silentFor).toBeGreaterThanOrEqual(250);
    expect(silentFor).toBeLessThan(1_400);

    // a frame of 200 bytes announced, then one byte of it every 100 ms: never idle, never done
    const slow = await raw(server.port);
    slow.socket.write(Buffer.from([0, 0, 0, 200]));
    const drip = setInterval(() => slow.socket.write(Buffer.from([0x90])), 100);
    cleanups.push(() => clearInterval(drip));
    const slowFor = await slow.closed;
    clearInterval(drip);
    expect(slowFor).toBeGreaterThanOrEqual(1_400);
    expect(slowFor).toBeLessThan(3_000);

    expect(await client(server.port, SECRET).invoke('chat-1', chat('echo'), ['still here'])).toBe(
      'still here',
    );
    await expect.poll(() => server.logged(/idle before authentication/).length).toBe(1);
    await expect.poll(() => server.logged(/handshake deadline passed/).length).toBe(1);
  });

  it('cuts an authenticated peer that does not read its replies, and only it', async () => {
    const server = await startServer({ RPC_AUTH_MAX_PENDING: String(1024 * 1024) });
    const legit = client(server.port, SECRET);
    expect(await legit.invoke('chat-1', chat('echo'), [1])).toBe(1);

    const reader = await raw(server.port);
    reader.socket.write(answerTo(await reader.next(), SECRET, 'connector-9'));
    expect(await reader.next()).toEqual(['welcome', expect.any(Uint8Array)]);
    expect(await reader.next()).toEqual([0, 3, 1]);
    // it asks for 25 MiB of replies and never reads one
    reader.socket.pause();
    const calls = Array.from({ length: 100 }, (_, index) =>
      encodeFrame([index + 1, 'user', 'chat', 'chatRemote', 'big', [256 * 1024]]),
    );
    reader.socket.write(Buffer.concat(calls));
    await expect.poll(() => server.logged(/does not read/).length, { timeout: 10_000 }).toBe(1);
    expect(await legit.invoke('chat-1', chat('echo'), [2])).toBe(2);
  });
});

describe('the cluster secret', () => {
  it('production refuses to start any process without one', async () => {
    const folder = await makeClusterFolder({ chat: [{ id: 'chat-1' }] });
    const pids: number[] = [];
    try {
      // the same servers and master, as the production environment
      for (const name of ['servers.json', 'master.json']) {
        const file = join(folder.dir, 'config', name);
        const content = JSON.parse(readFileSync(file, 'utf8')) as { test: unknown };
        writeFileSync(file, JSON.stringify({ production: content.test }));
      }
      const clusterFile = join(folder.dir, 'config', 'cluster.json');
      for (const [secret, what] of [
        [undefined, 'no cluster secret'],
        [DEVELOPMENT_CLUSTER_SECRET, 'the well-known development cluster secret'],
      ] as const) {
        writeFileSync(clusterFile, JSON.stringify(secret === undefined ? {} : { secret }));
        for (const args of [['env=production'], ['env=production', 'id=chat-1']]) {
          const result = await runEntry(folder.dir, args, (pid) => pids.push(pid));
          expect(result.code).toBe(1);
          expect(result.err).toContain(`ConfigError: ${clusterFile} (secret): ${what} in production`);
          expect(result.err).toContain(ErrorCode.ConfigMissing);
          // nothing started
          expect(result.out).toBe('');
        }
      }
      await waitGone(pids, 10_000);
    } finally {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      folder.remove();
    }
  });

  it('a cluster with a secret works end to end, and refuses a client without it', async () => {
    const secret = 'end-to-end-secret-0123456789-abcdefghijklmnop';
    const cluster = await TestCluster.start({ env: { SHADDOCK_CLUSTER_SECRET: secret } });
    try {
      // area-1 called chat-1 and chat-2 in afterStartAll: routed, to a server, broadcast
      const calls = await cluster.waitFor('area-1 to finish its calls', () => {
        const events = cluster.seen('area-1', 'rpc');
        return cluster.seen('area-1', 'rpc:done').length > 0 && events;
      });
      const byCall = Object.fromEntries(
        calls.map((event) => {
          const { call, ok } = event.data as { call: string; ok: boolean };
          return [call, ok];
        }),
      );
      expect(byCall).toMatchObject({ 'routed:0': true, 'toServer:chat-2': true, broadcast: true });

      // from outside: with the secret, served; with the development one (the harness's), refused
      const chat1 = cluster.folder.servers.find((server) => server.id === 'chat-1')!;
      const withSecret = client(chat1.port!, secret);
      expect(await withSecret.invoke('chat-1', chat('echo'), ['hello'])).toEqual({
        from: 'chat-1',
        value: 'hello',
      });
      await expect(
        cluster.rpc(['chat-1']).chat.chatRemote.echo.toServer('chat-1')('hello'),
      ).rejects.toMatchObject({ code: ErrorCode.ServerUnavailable });
      withSecret.close();
      await cluster.admin((admin) => admin.stop());
      await cluster.expectAllGone();
    } finally {
      await cluster.dispose();
    }
  });
});
