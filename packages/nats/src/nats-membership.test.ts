// The NATS membership driver against a real NATS with JetStream (127.0.0.1:4222, or
// SHADDOCK_TEST_NATS_URL): the membership contract suite, then what the contract cannot show —
// a frozen process (SIGSTOP) in a child, a network cut (through a proxy), a stalled event loop,
// orders on the control subject, foreign bucket entries, duplicate ids, NATS down at start, and a
// restart of a NATS server the test owns (SHADDOCK_TEST_NATS_SERVER, default /usr/sbin/nats-server).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { freePort, isListening, natsUnavailable, TEST_NATS_URL } from '@shaddock/test-support';
import { pack, unpack } from 'msgpackr';
import type { DriverConfig, DriverContext, Membership, ServerInfo } from 'shaddock';
import {
  describeMembershipContract,
  type RecordingLogger,
  recordingLogger,
  waitUntil,
} from 'shaddock/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsConnections, NatsUnreachable, sharedNatsConnections } from './nats-connection.js';
import { NatsMembership, type NatsMembershipOptions, natsMembership } from './nats-membership.js';
import { SignedPurpose, signRequest } from './signed-requests.js';
import { controlSubject, membersBucket } from './subjects.js';

/** An order as the control plane sends it: signed with the (development) cluster secret. */
function signedOrder(subject: string, order: Record<string, unknown>) {
  return signRequest(undefined, SignedPurpose.Order, subject, JSON.stringify(order));
}

const NATS_URL = TEST_NATS_URL;
const NATS_SERVER = process.env['SHADDOCK_TEST_NATS_SERVER'] ?? '/usr/sbin/nats-server';
const reachable = (await natsUnavailable('the NATS membership tests')) === undefined;

/** Every eviction time measured, printed at the end (what the report quotes). */
const measured: string[] = [];

/** A cluster name no other test uses: each test sees only its own members. */
function uniqueCluster(): string {
  return `t${Date.now().toString(36)}${Math.floor(Math.random() * 1e9).toString(36)}`;
}

function server(id: string, serverType: string, fields: Partial<ServerInfo> = {}): ServerInfo {
  return { id, serverType, host: '127.0.0.1', port: 4000, frontend: false, ...fields };
}

/** A cluster on `url`: each member has its own connection, so a crash cuts off that member only. */
class TestCluster {
  readonly cluster: string;
  readonly log: RecordingLogger = recordingLogger('debug');
  readonly members: NatsMembership[] = [];
  readonly #url: string;

  constructor(url = NATS_URL, cluster = uniqueCluster()) {
    this.#url = url;
    this.cluster = cluster;
  }

  create(info: ServerInfo, options: Partial<NatsMembershipOptions> = {}): NatsMembership {
    const connections = new NatsConnections({ servers: [this.#url], name: info.id, logger: this.log.logger });
    const membership = new NatsMembership({
      cluster: this.cluster,
      server: info,
      connections,
      logger: this.log.logger,
      ...options,
    });
    this.members.push(membership);
    return membership;
  }

  async join(info: ServerInfo, options: Partial<NatsMembershipOptions> = {}): Promise<NatsMembership> {
    const membership = this.create(info, options);
    await membership.start();
    await membership.ready();
    return membership;
  }

  /** Stops every member, then removes the bucket. */
  async close(): Promise<void> {
    await Promise.allSettled(this.members.map((membership) => membership.stop()));
    const nc = await connect({ servers: this.#url, timeout: 2_000 }).catch(() => undefined);
    if (nc === undefined) return;
    try {
      const kv = await new Kvm(nc).open(membersBucket(this.cluster));
      await kv.destroy();
    } catch {
      // never made, or its server is gone
    } finally {
      await nc.close();
    }
  }
}

describe.skipIf(!reachable)('NATS membership', () => {
  describeMembershipContract('nats', async () => {
    const cluster = new TestCluster();
    return {
      create: (info) => cluster.create(info),
      crash: (membership) => asNats(membership).crash(),
      failureDetectionMs: 1_000,
      close: () => cluster.close(),
    };
  });

  let admin: NatsConnection;
  beforeAll(async () => {
    admin = await connect({ servers: NATS_URL });
  });
  afterAll(async () => {
    await admin?.close();
    if (measured.length > 0) console.log(`[nats-membership.test] measured: ${measured.join('; ')}`);
  });

  it('drops a frozen process (SIGSTOP) within a second and takes it back on SIGCONT; a kill order ends it', async () => {
    const cluster = new TestCluster();
    const child = await spawnMember(cluster.cluster, 'chat-child');
    try {
      const observer = await cluster.join(server('gate-1', 'gate'));
      await waitUntil(() => observer.get('chat-child') !== undefined, 5_000, 'the observer sees the child');
      expect(observer.memberProcess('chat-child')?.pid).toBe(child.process.pid);

      const frozenAt = performance.now();
      child.process.kill('SIGSTOP');
      await waitUntil(() => observer.get('chat-child') === undefined, 5_000, 'the observer drops the child');
      const evictedMs = performance.now() - frozenAt;
      measured.push(`SIGSTOP eviction ${Math.round(evictedMs)} ms`);
      expect(evictedMs).toBeLessThanOrEqual(3_000);

      // frozen longer than the bucket's max age: its entry is gone for newcomers too
      await pause(600);
      const newcomer = await cluster.join(server('gate-2', 'gate'));
      expect(newcomer.get('chat-child')).toBeUndefined();

      const thawedAt = performance.now();
      child.process.kill('SIGCONT');
      await waitUntil(
        () => observer.get('chat-child') !== undefined,
        5_000,
        'the observer takes the child back',
      );
      await waitUntil(() => newcomer.get('chat-child') !== undefined, 5_000, 'the newcomer sees the child');
      measured.push(`SIGCONT rejoin ${Math.round(performance.now() - thawedAt)} ms`);
      // the thawed child kept its view: it did not drop the others for its own stall
      const view = await child.ask('view');
      expect(view).toEqual(expect.arrayContaining(['chat-child', 'gate-1', 'gate-2']));

      const exited = once(child.process, 'exit');
      const childSubject = controlSubject(cluster.cluster, 'chat-child');
      const reply = await admin.request(childSubject, pack(signedOrder(childSubject, { order: 'kill' })), {
        timeout: 2_000,
      });
      expect(unpack(reply.data)).toEqual({ ok: true });
      const killedAt = performance.now();
      const [code] = await exited;
      expect(code).toBe(1);
      await waitUntil(
        () => observer.get('chat-child') === undefined,
        3_000,
        'the observer drops the killed child',
      );
      measured.push(`kill eviction ${Math.round(performance.now() - killedAt)} ms`);
    } finally {
      child.end();
      await cluster.close();
    }
  });

  it('drops a member cut off the network within a second, and takes it back once the network heals', async () => {
    const proxy = await startCuttableProxy(NATS_URL);
    const direct = new TestCluster();
    // the same cluster, reached through the proxy
    const cutOff = new TestCluster(proxy.url, direct.cluster);
    try {
      const observer = await direct.join(server('gate-1', 'gate'));
      const member = await cutOff.join(server('chat-1', 'chat'));
      await waitUntil(() => observer.get('chat-1') !== undefined, 5_000, 'the observer sees chat-1');
      await waitUntil(() => member.get('gate-1') !== undefined, 5_000, 'chat-1 sees the observer');

      const cutAt = performance.now();
      proxy.cut();
      await waitUntil(() => observer.get('chat-1') === undefined, 5_000, 'the observer drops chat-1');
      const evictedMs = performance.now() - cutAt;
      measured.push(`network cut eviction ${Math.round(evictedMs)} ms`);
      expect(evictedMs).toBeLessThanOrEqual(3_000);
      // pings go unanswered: the cut-off member notices, and tries again and again
      const lost = () =>
        cutOff.log.lines().some((line) => line['msg'] === 'lost the NATS connection; reconnecting');
      await waitUntil(lost, 10_000, 'chat-1 notices the cut');
      measured.push(`cut noticed by the cut-off member after ${Math.round(performance.now() - cutAt)} ms`);

      const healedAt = performance.now();
      proxy.heal();
      await waitUntil(() => observer.get('chat-1') !== undefined, 15_000, 'the observer takes chat-1 back');
      await waitUntil(() => member.get('gate-1') !== undefined, 5_000, 'chat-1 sees the observer again');
      measured.push(`rejoin after the cut healed ${Math.round(performance.now() - healedAt)} ms`);
    } finally {
      await cutOff.close();
      await direct.close();
      await proxy.close();
    }
  });

  it('keeps the others when its own process stood still', async () => {
    const cluster = new TestCluster();
    try {
      const a = await cluster.join(server('gate-1', 'gate'));
      const b = await cluster.join(server('chat-1', 'chat'));
      await waitUntil(
        () => a.get('chat-1') !== undefined && b.get('gate-1') !== undefined,
        5_000,
        'both meet',
      );
      const removed: string[] = [];
      a.on('remove', (member) => removed.push(`a lost ${member.id}`));
      b.on('remove', (member) => removed.push(`b lost ${member.id}`));
      const until = Date.now() + 1_500;
      while (Date.now() < until) {
        // the whole process stands still, as under a debugger or SIGSTOP
      }
      await pause(1_200);
      expect(removed).toEqual([]);
      expect(
        cluster.log
          .lines()
          .some((line) => line['msg'] === 'the event loop stood still; members get the time back'),
      ).toBe(true);
    } finally {
      await cluster.close();
    }
  });

  it('carries stop and kill orders from the control subject, and answers malformed ones', async () => {
    const cluster = new TestCluster();
    const stops: number[] = [];
    const exits: number[] = [];
    try {
      await cluster.join(server('chat-1', 'chat'), {
        orders: { stop: async (deadlineMs) => void stops.push(deadlineMs) },
        exit: (code) => void exits.push(code),
      });
      const subject = controlSubject(cluster.cluster, 'chat-1');
      const json = await admin.request(
        subject,
        JSON.stringify(signedOrder(subject, { order: 'stop', deadlineMs: 1_234 })),
      );
      expect(json.json()).toEqual({ ok: true });
      await waitUntil(() => stops.length === 1, 2_000, 'the stop order is carried out');
      expect(stops).toEqual([1_234]);

      const kill = await admin.request(subject, pack(signedOrder(subject, { order: 'kill' })));
      expect(unpack(kill.data)).toEqual({ ok: true });
      await waitUntil(() => exits.length === 1, 2_000, 'the kill order is carried out');
      expect(exits).toEqual([1]);

      for (const body of [
        '{ not json',
        JSON.stringify({ order: 'dance' }),
        JSON.stringify({ order: 'stop', deadlineMs: -1 }),
      ]) {
        const signed = signRequest(undefined, SignedPurpose.Order, subject, body);
        const answer = (await admin.request(subject, JSON.stringify(signed))).json<{
          ok: boolean;
          error: string;
        }>();
        expect(answer.ok).toBe(false);
        expect(answer.error).toEqual(expect.any(String));
      }
      const answer = unpack((await admin.request(subject, pack([1, 2, 3]))).data) as { ok: boolean };
      expect(answer.ok).toBe(false);
      expect(stops).toEqual([1_234]);
      const logged = cluster.log.lines().filter((line) => line['msg'] === 'ignored a malformed order');
      expect(logged).toHaveLength(1);
    } finally {
      await cluster.close();
    }
  });

  it('drops malformed and foreign entries of the bucket, and logs them once', async () => {
    const cluster = new TestCluster();
    try {
      const observer = await cluster.join(server('gate-1', 'gate'));
      const kv = await new Kvm(admin).open(membersBucket(cluster.cluster));
      const entry = (info: unknown) =>
        JSON.stringify({ v: 1, server: info, pid: 1, startedAt: 1, incarnation: 'x' });
      for (let i = 0; i < 3; i += 1) await kv.put('garbage', 'not json at all');
      await kv.put('no-type', entry({ id: 'no-type', host: 'h', frontend: false }));
      await kv.put('someone-else', entry(server('chat-7', 'chat')));
      await kv.put('old-format', JSON.stringify(server('old-format', 'chat')));
      await kv.put('chat-1', entry(server('chat-1', 'chat')));
      await waitUntil(() => observer.get('chat-1') !== undefined, 5_000, 'the well-formed entry is taken');
      expect(
        observer
          .servers()
          .map((member) => member.id)
          .sort(),
      ).toEqual(['chat-1', 'gate-1']);
      const dropped = cluster.log
        .lines()
        .filter((line) => line['msg'] === 'dropped an entry of the members bucket that is no member');
      expect(dropped.map((line) => line['problem']).sort()).toEqual([
        'bad server info',
        'key is not its id',
        'not JSON',
        'not a member record',
      ]);
      // the fake chat-1 never heartbeats: it goes as a crashed member would
      await waitUntil(() => observer.get('chat-1') === undefined, 3_000, 'the silent entry is dropped');
    } finally {
      await cluster.close();
    }
  });

  it('refuses a second live process under a taken id, and takes a restart under it after a crash', async () => {
    const cluster = new TestCluster();
    try {
      const observer = await cluster.join(server('gate-1', 'gate'));
      const first = await cluster.join(server('chat-1', 'chat'));
      await waitUntil(() => observer.get('chat-1') !== undefined, 5_000, 'the observer sees chat-1');
      const events: string[] = [];
      observer.on('add', (member) => events.push(`add ${member.id}`));
      observer.on('remove', (member) => events.push(`remove ${member.id}`));

      const duplicate = cluster.create(server('chat-1', 'chat', { area: 2 }));
      await duplicate.start();
      await expect(duplicate.ready()).rejects.toThrow(/already in cluster/);
      expect(events).toEqual([]);
      expect(observer.get('chat-1')?.['area']).toBeUndefined();

      // a crash leaves an entry nobody renews: the restarted process waits it out, then joins
      await first.crash();
      const restarted = await cluster.join(server('chat-1', 'chat', { area: 3 }));
      await waitUntil(() => observer.get('chat-1')?.['area'] === 3, 5_000, 'the observer sees the restart');
      expect(events.at(-1)).toBe('add chat-1');
      expect(restarted.memberProcess('chat-1')?.pid).toBe(process.pid);
    } finally {
      await cluster.close();
    }
  });

  it('gives every driver of a process one shared connection, through the factory', async () => {
    const cluster = uniqueCluster();
    const log = recordingLogger('debug');
    const config: DriverConfig = { name: cluster, nats: { servers: [NATS_URL] }, rpc: { transport: 'nats' } };
    const stops: number[] = [];
    const context = {
      server: server('chat-1', 'chat'),
      logger: log.logger,
      orders: { stop: async (deadlineMs: number) => void stops.push(deadlineMs) },
    } as unknown as DriverContext;
    const connections = sharedNatsConnections(config, context);
    expect(sharedNatsConnections(config, context)).toBe(connections);
    const other = await connections.acquire();
    const membership = natsMembership(config)(context);
    try {
      await membership.start();
      await membership.ready();
      expect(membership.servers().map((member) => member.id)).toEqual(['chat-1']);
      const subject = controlSubject(cluster, 'chat-1');
      const reply = await admin.request(subject, JSON.stringify(signedOrder(subject, { order: 'stop' })));
      expect(reply.json()).toEqual({ ok: true });
      await waitUntil(() => stops.length === 1, 2_000, 'the order reaches the orders');
      expect(stops).toEqual([10_000]);
      await membership.stop();
      // the other driver still holds the connection
      expect(other.isClosed()).toBe(false);
    } finally {
      await membership.stop();
      // the last holder gives it back: it closes
      await connections.release();
      expect(other.isClosed()).toBe(true);
      const kv = await new Kvm(admin).open(membersBucket(cluster));
      await kv.destroy().catch(() => {});
    }
  });

  it('rejects at once, naming the URL, when NATS cannot be reached', async () => {
    const port = await freePort();
    const url = `nats://127.0.0.1:${port}`;
    const cluster = new TestCluster(url);
    const membership = cluster.create(server('chat-1', 'chat'));
    const startedAt = performance.now();
    const error = await membership.start().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(NatsUnreachable);
    expect((error as Error).message).toContain(url);
    expect(performance.now() - startedAt).toBeLessThan(5_000);
    await membership.stop();
  });

  it.skipIf(!existsSync(NATS_SERVER))(
    'keeps its view while its NATS server restarts, then resynchronizes',
    async () => {
      const nats = await startNatsServer();
      const cluster = new TestCluster(nats.url);
      try {
        const a = await cluster.join(server('gate-1', 'gate'));
        const b = await cluster.join(server('chat-1', 'chat'));
        await waitUntil(
          () => a.get('chat-1') !== undefined && b.get('gate-1') !== undefined,
          5_000,
          'both meet',
        );
        const removed: string[] = [];
        a.on('remove', (member) => removed.push(member.id));

        await nats.stop();
        await pause(1_500);
        expect(a.get('chat-1')).toBeDefined();
        expect(b.get('gate-1')).toBeDefined();

        await nats.start();
        await waitUntil(
          () =>
            cluster.log.lines().filter((line) => line['msg'] === 'membership resynchronized with NATS')
              .length >= 2,
          10_000,
          'both members resynchronize',
        );
        await pause(1_000);
        expect(removed).toEqual([]);

        const c = await cluster.join(server('chat-2', 'chat'));
        await waitUntil(
          () => a.get('chat-2') !== undefined && b.get('chat-2') !== undefined,
          5_000,
          'the others see chat-2',
        );
        expect(
          c
            .servers()
            .map((member) => member.id)
            .sort(),
        ).toEqual(['chat-1', 'chat-2', 'gate-1']);
        const stoppedAt = performance.now();
        await b.stop();
        await waitUntil(() => a.get('chat-1') === undefined, 2_000, 'a hears chat-1 leave');
        measured.push(`goodbye after NATS restart ${Math.round(performance.now() - stoppedAt)} ms`);
        expect(removed).toEqual(['chat-1']);
      } finally {
        await cluster.close();
        await nats.stop();
        await nats.remove();
      }
    },
    40_000,
  );
});

function asNats(membership: Membership): NatsMembership {
  if (!(membership instanceof NatsMembership)) throw new Error('not a NATS membership');
  return membership;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A TCP proxy in front of NATS that can black-hole its traffic (a network cut: nothing is closed,
 * nothing gets through), then let it through again.
 */
async function startCuttableProxy(target: string): Promise<{
  url: string;
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}> {
  const { hostname, port } = new URL(target);
  let isCut = false;
  const sockets = new Set<Socket>();
  const proxy = createServer((client) => {
    const upstream = new Socket();
    upstream.connect(Number(port), hostname);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from);
      from.on('data', (chunk) => {
        if (!isCut) to.write(chunk);
      });
      from.on('error', () => {});
      from.on('close', () => {
        sockets.delete(from);
        to.destroy();
      });
    }
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  const address = proxy.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `nats://127.0.0.1:${address.port}`,
    cut: () => {
      isCut = true;
    },
    heal: () => {
      isCut = false;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      proxy.close();
      await once(proxy, 'close');
    },
  };
}

/** A nats-server of this test's own, on a free port, that can be stopped and started again. */
async function startNatsServer(): Promise<{
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  remove(): Promise<void>;
}> {
  const port = await freePort();
  const storeDir = await mkdtemp(join(tmpdir(), 'shaddock-nats-'));
  const url = `nats://127.0.0.1:${port}`;
  let running: ChildProcess | undefined;
  const start = async () => {
    running = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + 10_000;
    while (!(await isListening(url))) {
      if (Date.now() > deadline || running.exitCode !== null)
        throw new Error(`nats-server on ${port} did not start`);
      await pause(50);
    }
  };
  const stop = async () => {
    const process = running;
    running = undefined;
    if (process === undefined || process.exitCode !== null || process.signalCode !== null) return;
    const exited = once(process, 'exit');
    process.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url, start, stop, remove: () => rm(storeDir, { recursive: true, force: true }) };
}

/**
 * A member in a child process, running this package's TypeScript sources (types erased by the
 * workspace's TypeScript through a module hook written for the test). It prints a line once
 * ready, and answers `view` on stdin with its view's ids.
 */
async function spawnMember(
  cluster: string,
  id: string,
): Promise<{ process: ChildProcess; ask(question: string): Promise<unknown>; end(): void }> {
  const dir = await mkdtemp(join(tmpdir(), 'shaddock-member-'));
  const typescript = pathToFileURL(createRequire(import.meta.url).resolve('typescript')).href;
  const source = (file: string) => new URL(file, import.meta.url).href;
  await writeFile(
    join(dir, 'hooks.mjs'),
    `import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import ts from ${JSON.stringify(typescript)};
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
    const candidate = new URL(specifier.slice(0, -3) + '.ts', context.parentURL);
    if (existsSync(fileURLToPath(candidate))) return { url: candidate.href, shortCircuit: true };
  }
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const fileName = fileURLToPath(url);
  const { outputText } = ts.transpileModule(await readFile(fileName, 'utf8'), {
    fileName,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  return { format: 'module', source: outputText, shortCircuit: true };
}
`,
  );
  await writeFile(
    join(dir, 'loader.mjs'),
    `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`,
  );
  await writeFile(
    join(dir, 'member.mjs'),
    `import { createInterface } from 'node:readline';
import { NatsConnections } from ${JSON.stringify(source('./nats-connection.ts'))};
import { NatsMembership } from ${JSON.stringify(source('./nats-membership.ts'))};
const [url, cluster, id] = process.argv.slice(2);
const quiet = () => {};
const logger = {
  level: 'warn', trace: quiet, debug: quiet, info: quiet, fatal: quiet,
  warn: (...line) => console.error('child warn', ...line),
  error: (...line) => console.error('child error', ...line),
  child: () => logger, isLevelEnabled: (level) => level === 'warn' || level === 'error',
};
const connections = new NatsConnections({ servers: [url], name: id, logger });
const membership = new NatsMembership({
  cluster, logger, connections,
  server: { id, serverType: 'chat', host: '127.0.0.1', port: 4000, frontend: false },
  orders: { stop: async () => { await membership.stop(); process.exit(0); } },
});
await membership.start();
await membership.ready();
console.log(JSON.stringify({ ready: id }));
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'view') console.log(JSON.stringify(membership.servers().map((server) => server.id).sort()));
});
process.on('SIGTERM', async () => { await membership.stop(); process.exit(0); });
`,
  );
  const child = spawn(
    process.execPath,
    ['--import', join(dir, 'loader.mjs'), join(dir, 'member.mjs'), NATS_URL, cluster, id],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const pending: Array<(line: string) => void> = [];
  lines.on('line', (line) => pending.shift()?.(line));
  const next = () => new Promise<string>((resolve) => pending.push(resolve));
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the member child exited early (${String(code)})`);
  });
  await Promise.race([next(), exited]);
  exited.catch(() => {});
  return {
    process: child,
    async ask(question) {
      const answer = next();
      child.stdin!.write(`${question}\n`);
      return JSON.parse(await answer) as unknown;
    },
    end() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      void rm(dir, { recursive: true, force: true });
    },
  };
}
