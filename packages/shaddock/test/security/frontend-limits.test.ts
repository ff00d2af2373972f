// Frontend limits that cannot be slid past, bad input answered as what it is, logs that are no
// amplifier (issue "Security and abuse", items 3 to 5). In-process connectors (the connector
// harness: a real ConnectorServer on 127.0.0.1) for the socket limits; the frontend-app fixture as
// real processes for what crosses a frontend to a backend; a child process under `ulimit -n` for
// the descriptor budget. Where a bound in time is the point (a deadline, a linger), the test
// checks what happened before it (a trickle that never finished, a send buffer never drained),
// and a time only as a generous upper bound.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { connect } from '@shaddock/client';
import { HandshakeCode, PackageDecoder, ProtocolErrorCode } from '@shaddock/protocol';
import {
  BINARY,
  clientFrame,
  closedUnanswered,
  connected,
  deepJson,
  flood,
  handmadeWebSocket,
  silent,
  trickle,
  upgradeRequest,
} from '@shaddock/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { descriptorBudget, IpCounts, isLoopback } from '../../src/connector/admission.js';
import {
  CloseReason,
  type ConnectorConfig,
  ConnectorServer,
  loadFrontendCodec,
  resolveConnectorConfig,
} from '../../src/connector/index.js';
import { CLOSE_GRACE_MS, REFUSAL_LINGER_MS } from '../../src/connector/transport.js';
import { WebSocketFrameReader } from '../../src/connector/websocket-frames.js';
import { ErrorCode, ResponseCode } from '../../src/errors.js';
import { FORWARD_MAX_DEPTH, nestedDeeperThan } from '../../src/handler/forward.js';
import { memorySession, pipelineWith, request } from '../../src/handler/test-kit.js';
import { createLogger, REPEAT_WINDOW_MS } from '../../src/logging/index.js';
import { DEFAULT_PORT_LIMITS, MAX_CONTROL_FRAME } from '../../src/master/control-server.js';
import { DEFAULT_RPC_MAX_FRAME_LENGTH, DEFAULT_RPC_MAX_PENDING_BYTES } from '../../src/rpc/protocol.js';
import { type Session, SessionService } from '../../src/session/index.js';
import {
  DEFAULT_HANDSHAKE_IDLE_MS,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  MAX_HANDSHAKE_FRAME,
} from '../../src/transport/index.js';
import {
  ECHO,
  eventually,
  Package,
  pause,
  RawClient,
  TestHandlers,
  TRANSPORTS,
  type Transport,
  withConnector,
} from '../connector-harness.js';
import { FrontendCluster } from '../support/frontend-cluster.js';
import { Message, type PinusClient } from '../support/pinus-client.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const SHADDOCK_DIST = path.join(REPO, 'packages/shaddock/dist');

const JS_HANDSHAKE = { sys: { type: 'js-websocket', version: '0.0.1' }, user: {} };
const handshakePackage = (request: object = JS_HANDSHAKE): Buffer =>
  Package.encode(Package.TYPE_HANDSHAKE, Buffer.from(JSON.stringify(request)));

/** A real client connected and answering, once the server has room for it (sockets closing let go of theirs). */
async function eventuallyConnected(port: number, transport: Transport) {
  for (;;) {
    const client = await connect({ host: '127.0.0.1', port, transport }).catch(() => undefined);
    if (client !== undefined) {
      expect(await client.request(ECHO, { in: true })).toEqual({ in: true });
      return client;
    }
    await pause(20);
  }
}

// ---------------------------------------------------------------------------------------------
// Item 3: one absolute deadline before the handshake, every socket counted from its accept

describe('the pre-handshake deadline: absolute, from the accept', () => {
  const config: ConnectorConfig = { handshakeTimeout: 0.5 };

  it('drops a WebSocket upgrade trickled a byte at a time, before it could finish', () =>
    withConnector({ config }, async (harness) => {
      const request = upgradeRequest();
      // 20 ms a byte: the request would take over 3 s, six deadlines
      const slow = trickle(harness.port, request, 20);
      await slow.closed;
      expect(slow.sent()).toBeLessThan(request.length);
      expect(slow.received().toString('latin1')).not.toContain('101');
      expect(harness.reported).toEqual([]);
    }));

  it('drops a Pomelo handshake trickled over TCP at the same deadline', () =>
    withConnector({ config }, async (harness) => {
      const bytes = handshakePackage();
      const slow = trickle(harness.port, bytes, 40);
      await slow.closed;
      expect(slow.sent()).toBeLessThan(bytes.length);
      expect(harness.connector.connectionCount).toBe(0);
    }));

  it('drops a socket that upgrades at once but never handshakes', () =>
    withConnector({ config }, async (harness) => {
      const client = await RawClient.ws(harness.port);
      await client.closed;
      expect(harness.connector.connectionCount).toBe(0);
    }));

  it('drops a TLS handshake trickled a byte at a time (TLS counts toward the same deadline)', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'shaddock-limits-tls-'));
    try {
      const key = path.join(folder, 'server.key');
      const cert = path.join(folder, 'server.crt');
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '1',
        ].concat(['-subj', '/CN=localhost', '-keyout', key, '-out', cert]),
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      await withConnector({ config: { ...config, ssl: { key, cert } } }, async (harness) => {
        const hello = await clientHello();
        const slow = trickle(harness.port, hello, 20);
        await slow.closed;
        expect(slow.sent()).toBeLessThan(hello.length);
        // a whole TLS client still gets in
        const client = await connect({
          host: '127.0.0.1',
          port: harness.port,
          transport: 'ws',
          tls: { rejectUnauthorized: false },
        });
        expect(await client.request(ECHO, { tls: true })).toEqual({ tls: true });
        await client.close();
      });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

/** The bytes of a TLS ClientHello, as a client writes them first. */
function clientHello(): Promise<Buffer> {
  return new Promise((resolve) => {
    const capture = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, done) {
        resolve(Buffer.from(chunk));
        done();
      },
    });
    const socket = tls.connect({ socket: capture, servername: 'localhost', rejectUnauthorized: false });
    socket.on('error', () => {});
  });
}

describe('max-connections counts every socket from its accept', () => {
  it('holds trickling and silent sockets against the limit, refuses the next at once, and lets a real client in when there is room', () =>
    withConnector({ maxConnections: 4, config: { handshakeTimeout: 1 } }, async (harness) => {
      // Two slow sockets (one byte each so far, or none): the limit has room for a real client.
      const slowWs = trickle(harness.port, upgradeRequest(), 50);
      const quiet = await silent(harness.port);
      await connected(slowWs.socket);
      const real = await connect({ host: '127.0.0.1', port: harness.port, transport: 'ws' });
      expect(await real.request(ECHO, { real: true })).toEqual({ real: true });
      // A third slow one fills it.
      const slowTcp = trickle(harness.port, handshakePackage(), 50);
      await connected(slowTcp.socket);
      await pause(50);
      // Over the limit: closed at once, before a byte is read or written.
      const over = await silent(harness.port);
      expect(await closedUnanswered(over)).toHaveLength(0);
      expect(slowWs.socket.destroyed || slowTcp.socket.destroyed || quiet.destroyed).toBe(false);
      await expect(connect({ host: '127.0.0.1', port: harness.port, transport: 'tcp' })).rejects.toThrow();
      // The client inside is not disturbed, and the slow ones go at the deadline.
      expect(await real.request(ECHO, { still: true })).toEqual({ still: true });
      await Promise.all([slowWs.closed, slowTcp.closed, closedUnanswered(quiet)]);
      expect(slowWs.sent()).toBeLessThan(upgradeRequest().length);
      const next = await eventuallyConnected(harness.port, 'tcp');
      await Promise.all([real.close(), next.close()]);
      expect(harness.logged[0]).toMatchObject({
        msg: 'max-connections reached: connections refused',
        refusal: 'max-connections',
        limit: 4,
      });
    }));
});

// ---------------------------------------------------------------------------------------------
// Item 3: per-IP limits

interface HostHarness {
  readonly port: number;
  readonly logged: Record<string, unknown>[];
}

/** A connector listening on `host` (the harness listens on loopback, which per-IP limits skip). */
async function withConnectorOn(
  host: string,
  config: ConnectorConfig,
  test: (harness: HostHarness) => Promise<void>,
): Promise<void> {
  const base = mkdtempSync(path.join(tmpdir(), 'shaddock-limits-'));
  const settings = resolveConnectorConfig(config);
  const codec = await loadFrontendCodec({ base, env: 'test', handlerRoutes: async () => [ECHO] }, settings);
  const logged: Record<string, unknown>[] = [];
  const logger = createLogger({
    serverId: 'connector-1',
    serverType: 'connector',
    level: 'warn',
    file: false,
    stream: { write: (line: string) => logged.push(JSON.parse(line)) } as unknown as NodeJS.WritableStream,
  });
  const connector = new ConnectorServer<Session>();
  const port = await connector.start(
    { sessions: new SessionService({ frontendId: 'connector-1' }), handlers: new TestHandlers(), logger },
    { settings, codec, port: 0, host },
  );
  try {
    await test({ port, logged });
  } finally {
    await connector.stop(true);
    rmSync(base, { recursive: true, force: true });
  }
}

/** A local IPv4 address that is not loopback, if the machine has one. */
const publicAddress = Object.values(networkInterfaces())
  .flat()
  .find((address) => address !== undefined && address.family === 'IPv4' && !address.internal)?.address;

describe('maxConnectionsPerIp', () => {
  it.skipIf(publicAddress === undefined)(
    'closes sockets from an address over its limit at accept, unread; the count frees as they close',
    () =>
      withConnectorOn(publicAddress as string, { maxConnectionsPerIp: 2 }, async (harness) => {
        const host = publicAddress as string;
        const first = await silent(harness.port, host);
        const second = trickle(harness.port, upgradeRequest(), 50, host);
        await connected(second.socket);
        await pause(50);
        const third = await silent(harness.port, host);
        expect(await closedUnanswered(third)).toHaveLength(0);
        expect(first.destroyed).toBe(false);
        expect(harness.logged).toEqual([
          expect.objectContaining({
            msg: 'maxConnectionsPerIp reached: connections refused',
            refusal: 'per-ip',
            maxConnectionsPerIp: 2,
            ip: host,
          }),
        ]);
        first.destroy();
        await pause(50);
        const client = await connect({ host, port: harness.port, transport: 'tcp' });
        expect(await client.request(ECHO, { again: true })).toEqual({ again: true });
        await client.close();
        second.socket.destroy();
      }),
  );

  it('with realIpHeader, counts WebSocket clients by the header address at the upgrade (503 over it)', () =>
    withConnector(
      { config: { maxConnectionsPerIp: 2, realIpHeader: 'X-Forwarded-For' } },
      async (harness) => {
        const as = (ip: string) => RawClient.ws(harness.port, { 'x-forwarded-for': ip });
        const inside = [await as('10.0.0.7'), await as('10.0.0.7')];
        const over = net.connect({ port: harness.port, host: '127.0.0.1' });
        over.on('error', () => {});
        over.write(upgradeRequest({ 'X-Forwarded-For': '10.0.0.7' }));
        expect((await closedUnanswered(over)).toString('latin1')).toMatch(/^HTTP\/1\.1 503 /);
        // another address, and the proxy's own (loopback) raw TCP, are not held back
        const other = await as('10.0.0.8');
        const direct = await connect({ host: '127.0.0.1', port: harness.port, transport: 'tcp' });
        expect(await direct.request(ECHO, { direct: true })).toEqual({ direct: true });
        expect(harness.logged).toEqual([
          expect.objectContaining({ refusal: 'per-ip', ip: '10.0.0.7', maxConnectionsPerIp: 2 }),
        ]);
        for (const client of [...inside, other]) client.destroy();
        await direct.close();
      },
    ));

  it('does not count loopback addresses, and forgets an address once its sockets close', async () => {
    const counts = new IpCounts(1);
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const sockets = [await silent(port), await silent(port)];
    try {
      expect(isLoopback('127.0.0.1') && isLoopback('127.8.9.1') && isLoopback('::1')).toBe(true);
      expect(isLoopback('10.0.0.1') || isLoopback('::ffff:10.0.0.1')).toBe(false);
      expect(counts.take(sockets[0] as net.Socket, '127.0.0.1')).toBe(true);
      expect(counts.take(sockets[1] as net.Socket, '127.0.0.1')).toBe(true);
      expect(counts.take(sockets[0] as net.Socket, '10.0.0.1')).toBe(true);
      expect(counts.take(sockets[1] as net.Socket, '10.0.0.1')).toBe(false);
      expect(counts.size).toBe(1);
      sockets[0]?.destroy();
      await eventually(() => counts.size === 0);
      expect(counts.take(sockets[1] as net.Socket, '10.0.0.1')).toBe(true);
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Item 3: a refused client is not read any more

const FLOOD_BYTES = 50 * 1024 * 1024;

describe('a refused client is not read any more', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('WebSocket: after the refusal and its close frame, nothing is read or unmasked, and the socket is gone within the linger', () =>
    withConnector({ config: { checkClient: () => false } }, async (harness) => {
      let unmasked = 0;
      const push = WebSocketFrameReader.prototype.push;
      vi.spyOn(WebSocketFrameReader.prototype, 'push').mockImplementation(function (
        this: WebSocketFrameReader,
        chunk,
      ) {
        unmasked += chunk.length;
        return push.call(this, chunk);
      });
      const { socket, status, frames, closeFrame } = handmadeWebSocket(harness.port, upgradeRequest(), [
        clientFrame(BINARY, handshakePackage()),
      ]);
      await closeFrame;
      expect(status()).toMatch(/^HTTP\/1\.1 101 /);
      const answer = frames.find((frame) => frame.opcode === BINARY);
      const decoded = answer === undefined ? undefined : Package.decode(answer.payload);
      const first = Array.isArray(decoded) ? decoded[0] : decoded;
      const handshake: unknown = JSON.parse(String(first?.body ?? ''));
      const refusedAt = performance.now();
      expect(handshake).toEqual({ code: HandshakeCode.OldClient });
      const before = unmasked;
      const held = await flood(socket, clientFrame(BINARY, Buffer.alloc(1024 * 1024, 7)), FLOOD_BYTES);
      expect(performance.now() - refusedAt).toBeLessThan(REFUSAL_LINGER_MS + 1500);
      expect(unmasked - before).toBe(0);
      expect(held).toBeGreaterThan(FLOOD_BYTES / 2);
    }));

  it('TCP: after the refusal, nothing more is read, and the socket is gone within the linger', () =>
    withConnector({ config: { checkClient: () => false } }, async (harness) => {
      let decoded = 0;
      const write = PackageDecoder.prototype.write;
      vi.spyOn(PackageDecoder.prototype, 'write').mockImplementation(function (this: PackageDecoder, chunk) {
        decoded += chunk.length;
        return write.call(this, chunk);
      });
      const client = await RawClient.tcp(harness.port);
      expect(await client.handshake()).toEqual({ code: HandshakeCode.OldClient });
      const before = decoded;
      const socket = net.connect({ port: harness.port, host: '127.0.0.1' });
      socket.on('error', () => {});
      await connected(socket);
      socket.write(handshakePackage());
      await new Promise<void>((resolve) => socket.once('data', () => resolve()));
      const refusedAt = performance.now();
      const held = await flood(socket, Buffer.alloc(1024 * 1024, 7), FLOOD_BYTES);
      expect(performance.now() - refusedAt).toBeLessThan(REFUSAL_LINGER_MS + 1500);
      expect(decoded - before).toBeLessThan(handshakePackage().length + 1);
      expect(held).toBeGreaterThan(FLOOD_BYTES / 2);
      await client.closed;
    }));
});

// ---------------------------------------------------------------------------------------------
// Item 4 (and 5 on real processes): bad input answered as what it is

describe('bad input on a real cluster', () => {
  let cluster: FrontendCluster;
  beforeAll(async () => {
    cluster = await FrontendCluster.start();
  });
  afterAll(async () => {
    await cluster?.dispose();
  });

  /** The master's output lines from `mark` on (its servers' lines come through it). */
  const linesSince = (mark: number): string[] => cluster.output(1_000_000).split('\n').slice(mark);
  const mark = (): number => cluster.output(1_000_000).split('\n').length;

  it.each(TRANSPORTS)(
    'answers a forwarded body nested 5,000 deep with a 400 on %s; the connection goes on; nothing is logged as a backend failure',
    async (transport) => {
      const raw = await cluster.pinus('connector-1', transport);
      await raw.open();
      const start = mark();
      const deep = deepJson(5000);
      raw.send(
        Package.encode(
          Package.TYPE_DATA,
          Message.encode(900, Message.TYPE_REQUEST, false, 'room.roomHandler.echo', deep),
        ),
      );
      const answer = await raw.response(900);
      expect(answer.body).toEqual({
        code: ResponseCode.BadRequest,
        message: expect.stringContaining('cannot be forwarded'),
      });
      // a notify with the same body: dropped, nothing answered, nothing logged
      raw.send(
        Package.encode(
          Package.TYPE_DATA,
          Message.encode(0, Message.TYPE_NOTIFY, false, 'room.roomHandler.echo', deep),
        ),
      );
      expect(await raw.call('room.roomHandler.echo', { after: 'deep' })).toMatchObject({ after: 'deep' });
      await pause(200);
      expect(linesSince(start).filter((line) => /WARN|ERROR|FATAL/.test(line))).toEqual([]);
      raw.destroy();
    },
  );

  it.each(TRANSPORTS)(
    'answers a handshake without sys with code 500 and closes, as Pomelo, on %s',
    async (transport) => {
      for (const request of [{}, { user: {} }]) {
        const raw = await cluster.pinus('connector-2', transport);
        expect(await raw.handshake(request)).toEqual({ code: HandshakeCode.BadRequest });
        await raw.closed;
      }
      // a Pomelo client's handshake is still accepted
      const raw = await cluster.pinus('connector-2', transport);
      expect(await raw.open()).toMatchObject({ code: 200 });
      raw.destroy();
    },
  );

  it('logs 10 notifies to a failing route as one line', async () => {
    const raw: PinusClient = await cluster.pinus('connector-1', 'ws');
    await raw.open();
    const start = mark();
    for (let index = 0; index < 10; index++) raw.notify('room.roomHandler.fail', {});
    expect(await raw.call('room.roomHandler.echo', { after: 'fails' })).toMatchObject({ after: 'fails' });
    await cluster.waitFor('the failure to be logged', () =>
      linesSince(start).some((line) => line.includes('room.roomHandler.fail')),
    );
    await pause(300);
    const entries = linesSince(start).filter((line) => line.includes('notify failed'));
    expect(entries.length).toBeGreaterThanOrEqual(1);
    expect(entries.length).toBeLessThanOrEqual(2);
    raw.destroy();
  });
});

describe('a body the frontend cannot forward', () => {
  it('is measured without recursion, and only past the bound', () => {
    const nested = (depth: number): unknown => {
      let value: unknown = {};
      for (let level = 1; level < depth; level++) value = level % 2 === 0 ? { a: value } : [value];
      return value;
    };
    expect(nestedDeeperThan(nested(FORWARD_MAX_DEPTH), FORWARD_MAX_DEPTH)).toBe(false);
    expect(nestedDeeperThan(nested(FORWARD_MAX_DEPTH + 1), FORWARD_MAX_DEPTH)).toBe(true);
    expect(nestedDeeperThan(nested(200_000), FORWARD_MAX_DEPTH)).toBe(true);
    const wide = { wide: Array.from({ length: 10_000 }, () => ({ x: [1] })) };
    expect(nestedDeeperThan(wide, 4)).toBe(false);
    expect(nestedDeeperThan(wide, 3)).toBe(true);
    expect(nestedDeeperThan('text', 0)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Item 5: logs that cannot be used as an amplifier

describe('logs a client cannot amplify', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes a failing notify once, then its count when the window ends', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { pipeline, logger } = pipelineWith();
    const session = memorySession({ uid: 'mallory' });
    for (let index = 0; index < 10; index++) {
      await pipeline.handleClientMessage(session, request('connector.entryHandler.fail', {}, 0));
    }
    expect(logger.records).toHaveLength(1);
    expect(logger.records[0]).toMatchObject({ msg: 'notify failed', route: 'connector.entryHandler.fail' });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(logger.records).toHaveLength(2);
    expect(logger.records[1]).toMatchObject({ msg: 'notify failed', repeated: 9 });
    expect(logger.records[1]).not.toHaveProperty('err');
  });

  it("logs a client's bad input at debug only", async () => {
    const { pipeline, logger } = pipelineWith();
    for (let index = 0; index < 5; index++) {
      await pipeline.handleClientMessage(memorySession(), request(`connector.entryHandler.nope${index}`));
    }
    expect(logger.records.every((record) => record['level'] === 20)).toBe(true);
  });

  it('writes refusals at accept once per burst, with their count', () =>
    withConnector({ maxConnections: 1 }, async (harness) => {
      const inside = await connect({ host: '127.0.0.1', port: harness.port, transport: 'tcp' });
      for (let index = 0; index < 5; index++) await closedUnanswered(await silent(harness.port));
      expect(harness.logged).toHaveLength(1);
      await inside.close();
      await harness.connector.stop(true);
      expect(harness.logged).toEqual([
        expect.objectContaining({ refusal: 'max-connections', limit: 1 }),
        expect.objectContaining({ refusal: 'max-connections', repeated: 4 }),
      ]);
    }));

  it('writes out-of-descriptors errors on accept once per burst, with their count', () =>
    withConnector(async (harness) => {
      const server = listeningServer(harness.port);
      for (let index = 0; index < 5; index++) {
        server.emit(
          'error',
          Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' }),
        );
      }
      expect(harness.reported).toEqual([]);
      expect(harness.logged).toEqual([
        expect.objectContaining({ msg: 'out of file descriptors: connections refused', code: 'EMFILE' }),
      ]);
      await harness.connector.stop(true);
      expect(harness.logged[1]).toMatchObject({ refusal: 'out-of-descriptors', repeated: 4 });
    }));

  it('keeps a process under `ulimit -n` out of EMFILE: it refuses at its descriptor budget, one line and a count', async () => {
    const child = spawnLimitedConnector(64);
    try {
      const { port, logs } = await child.ready;
      const sockets = await Promise.all(Array.from({ length: 80 }, () => silent(port)));
      const closed = sockets.map((socket) => closedUnanswered(socket).then(() => socket));
      await eventually(() => sockets.filter((socket) => socket.destroyed).length >= 80 - 32);
      await pause(100);
      const refused = sockets.filter((socket) => socket.destroyed).length;
      expect(refused).toBe(80 - 32);
      child.process.stdin?.end('stop\n');
      await child.exited;
      const refusals = logs.filter((line) => line['refusal'] === 'descriptor-budget');
      expect(refusals).toEqual([
        expect.objectContaining({ msg: 'near the open-files limit: connections refused', limit: 32 }),
        expect.objectContaining({ repeated: refused - 1 }),
      ]);
      for (const socket of sockets) socket.destroy();
      await Promise.all(closed);
    } finally {
      child.process.kill('SIGKILL');
    }
  });

  it('reads the descriptor budget from /proc/self/limits', () => {
    const limits =
      'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 1048576              files\n';
    expect(descriptorBudget(limits)).toEqual({ softLimit: 1024, budget: 1024 - 102 });
    expect(
      descriptorBudget('Max open files            unlimited            unlimited            files'),
    ).toBeUndefined();
    expect(descriptorBudget('')).toBeUndefined();
  });
});

/** The net server listening on `port` in this process (to drive its error path). */
function listeningServer(port: number): net.Server {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  const server = handles.find(
    (handle): handle is net.Server =>
      handle instanceof net.Server && (handle.address() as net.AddressInfo | null)?.port === port,
  );
  if (server === undefined) throw new Error(`no server listening on ${port}`);
  return server;
}

interface LimitedConnector {
  readonly process: ChildProcess;
  readonly ready: Promise<{ port: number; logs: Record<string, unknown>[] }>;
  readonly exited: Promise<void>;
}

/** A connector in a child whose open-files limit is `limit` (`ulimit -n`), from the built package. */
function spawnLimitedConnector(limit: number): LimitedConnector {
  const base = mkdtempSync(path.join(tmpdir(), 'shaddock-limits-ulimit-'));
  const script = `
    import { mkdirSync } from 'node:fs';
    import { ConnectorServer, loadFrontendCodec, resolveConnectorConfig } from '${SHADDOCK_DIST}/connector/index.js';
    import { SessionService } from '${SHADDOCK_DIST}/session/index.js';
    import { createLogger } from '${SHADDOCK_DIST}/logging/index.js';
    const base = process.env.LIMITS_BASE;
    mkdirSync(base + '/config', { recursive: true });
    const settings = resolveConnectorConfig({});
    const codec = await loadFrontendCodec({ base, env: 'test', handlerRoutes: async () => [] }, settings);
    const logger = createLogger({ serverId: 'connector-1', serverType: 'connector', level: 'warn', file: false, stream: process.stdout });
    const connector = new ConnectorServer();
    const handlers = { handleClientMessage: async () => undefined };
    const port = await connector.start(
      { sessions: new SessionService({ frontendId: 'connector-1' }), handlers, logger },
      { settings, codec, port: 0, host: '127.0.0.1' },
    );
    process.stderr.write(JSON.stringify({ port }) + '\\n');
    process.stdin.on('data', async () => { await connector.stop(true); process.exit(0); });
  `;
  const child = spawn(
    'bash',
    ['-c', `ulimit -n ${limit} && exec "${process.execPath}" --input-type=module -e "$LIMITS_SCRIPT"`],
    {
      env: { ...process.env, LIMITS_SCRIPT: script, LIMITS_BASE: base },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const logs: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not a log line
    }
  });
  let errors = '';
  const ready = new Promise<{ port: number; logs: Record<string, unknown>[] }>((resolve, reject) => {
    createInterface({ input: child.stderr }).on('line', (line) => {
      errors += `${line}\n`;
      const port = (JSON.parse(line.startsWith('{') ? line : '{}') as { port?: number }).port;
      if (port !== undefined) resolve({ port, logs });
    });
    child.once('exit', (code) => reject(new Error(`the limited connector exited (${code}): ${errors}`)));
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      rmSync(base, { recursive: true, force: true });
      resolve();
    }),
  );
  return { process: child, ready, exited };
}

// ---------------------------------------------------------------------------------------------
// The one table of limits and the error tables agree with the code

describe('docs/limits.md agrees with the code', () => {
  const doc = readFileSync(path.join(REPO, 'docs/limits.md'), 'utf8');

  /** The first-column values (in backticks) of the table under `heading`. */
  function column(heading: string): string[] {
    const start = doc.indexOf(`\n## ${heading}\n`);
    expect(start, `section "## ${heading}"`).toBeGreaterThanOrEqual(0);
    const end = doc.indexOf('\n## ', start + 1);
    const section = doc.slice(start, end < 0 ? undefined : end);
    return [...section.matchAll(/^\| `([^`]+)` *\|/gm)].map((match) => match[1] as string);
  }

  /** The cells of the limits table's row for `setting` (as its first cell reads). */
  function limitRow(setting: string): string[] {
    const rows = doc.split('\n').map((line) => line.split('|').map((cell) => cell.trim()));
    const row = rows.find((cells) => cells[0] === '' && cells[1] === setting);
    expect(row, `a row for ${setting}`).toBeDefined();
    return row as string[];
  }

  it('lists every ErrorCode, and no other', () => {
    expect(column('Error codes').sort()).toEqual(Object.values(ErrorCode).sort());
  });

  it('lists every ResponseCode, HandshakeCode, CloseReason and ProtocolErrorCode, and no other', () => {
    expect(column('Response codes')).toEqual(Object.values(ResponseCode).map(String));
    expect(column('Handshake codes')).toEqual(Object.values(HandshakeCode).map(String));
    expect(column('Close reasons')).toEqual(Object.values(CloseReason));
    expect(column('Protocol error codes').sort()).toEqual(Object.values(ProtocolErrorCode).sort());
  });

  it('gives the defaults the code has', () => {
    const settings = resolveConnectorConfig({});
    const seconds = (ms: number) => `${ms / 1000} s`;
    expect(limitRow('`handshakeTimeout`')[3]).toBe(seconds(settings.handshakeTimeoutMs));
    expect(limitRow('`heartbeat`')[3]).toBe(`${settings.heartbeatSeconds} s`);
    expect(limitRow('`timeout`')[3]).toContain(`(${seconds(settings.timeoutMs)})`);
    expect(limitRow('`maxConnectionsPerIp`')[3]).toBe(String(settings.maxConnectionsPerIp));
    expect(limitRow('`maxPackageSize`')[3]).toBe(`${settings.maxPackageSize / 1024 / 1024} MiB`);
    expect(limitRow('`maxBufferedBytes`')[3]).toBe(`${settings.maxBufferedBytes / 1024 / 1024} MiB`);
    expect(limitRow('`maxPendingRequests`')[3]).toBe(String(settings.maxPendingRequests));
    expect(settings.maxFrameSize).toBe(4 * (settings.maxPackageSize + 4));
    expect(settings.rateLimit).toBeUndefined();
    expect(settings.maxConnections).toBe(0);
    expect(limitRow('refusal linger')[3]).toBe(`${REFUSAL_LINGER_MS / 1000} s`);
    expect(limitRow('close grace')[3]).toBe(`${CLOSE_GRACE_MS / 1000} s`);
    expect(limitRow('forwarded body depth')[3]).toBe(`${FORWARD_MAX_DEPTH} levels`);
    expect(limitRow('log repeats')[3]).toBe(`${REPEAT_WINDOW_MS / 1000} s`);
    expect(limitRow('`max-connections`')[3]).toBe('none');
  });

  it('gives the RPC and master ports the defaults the code has', () => {
    const mib = (bytes: number) => `${bytes / 1024 / 1024} MiB`;
    const seconds = (ms: number) => `${ms / 1000} s`;
    expect(limitRow('forwarded body size')[3]).toBe(mib(DEFAULT_RPC_MAX_FRAME_LENGTH));
    expect(limitRow('RPC frame before authentication')[3]).toBe(`${MAX_HANDSHAKE_FRAME / 1024} KiB`);
    expect(limitRow('RPC idle before authentication')[3]).toBe(seconds(DEFAULT_HANDSHAKE_IDLE_MS));
    expect(limitRow('RPC handshake deadline')[3]).toBe(seconds(DEFAULT_HANDSHAKE_TIMEOUT_MS));
    expect(limitRow('RPC frame size')[3]).toBe(mib(DEFAULT_RPC_MAX_FRAME_LENGTH));
    expect(limitRow('RPC pending bytes')[3]).toBe(mib(DEFAULT_RPC_MAX_PENDING_BYTES));
    expect(limitRow('master frame size')[3]).toBe(mib(MAX_CONTROL_FRAME));
    expect(limitRow('master idle before proof')[3]).toBe(seconds(DEFAULT_PORT_LIMITS.idleMs));
    expect(limitRow('master handshake deadline')[3]).toBe(seconds(DEFAULT_PORT_LIMITS.handshakeMs));
    expect(limitRow('master pending bytes')[3]).toBe(mib(DEFAULT_PORT_LIMITS.maxPendingBytes));
  });
});
