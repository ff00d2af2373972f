// A Pomelo 2.x app in plain CommonJS (fixtures/pomelo-app: gate, two connectors, two chat servers,
// callbacks everywhere, `require('shaddock/pomelo')` its one change) started with the real CLI
// (`shaddock start`) on 127.0.0.1 with free ports, and driven by `@shaddock/client` and by a raw
// client on the real `pinus-protocol` package: request, notify, push, channels, kick, callback
// RPC, `toServer('*')`, `rpcInvoke`, filters, run-time crons (`addCrons`/`removeCrons`), the
// error handler, components, plugins, and the start-up lines for what Shaddock does not honour.
// The cluster is always stopped.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Client, connect } from '@shaddock/client';
import type { JsonObject } from '@shaddock/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeAppFolder } from './support/app-folder.js';
import { PinusClient } from './support/pinus-client.js';
import { alive, PidTracker, SHADDOCK_BIN, waitFor, waitGone } from './support/processes.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/pomelo-app/', import.meta.url));

/** Every process under `pid` (children first found through /proc). */
function descendants(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
  return children.flatMap((child) => [child, ...descendants(child)]);
}

class PomeloCluster {
  readonly output: string[] = [];
  readonly #clients: Client[] = [];
  readonly #raw: PinusClient[] = [];
  readonly #pids = new PidTracker();
  readonly #cli: ChildProcess;
  readonly #remove: () => void;
  readonly ports: Record<string, number>;

  private constructor(dir: string, remove: () => void, ports: Record<string, number>) {
    this.#remove = remove;
    this.ports = ports;
    this.#cli = spawn(
      process.execPath,
      [SHADDOCK_BIN, 'start', '--dir', dir, '--entry', join(FIXTURE, 'app.js'), '--env', 'test'],
      { cwd: dir, env: { ...process.env, SHADDOCK_BASE: dir }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#pids.add(this.#cli.pid);
    for (const stream of [this.#cli.stdout, this.#cli.stderr]) {
      createInterface({ input: stream!, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
        if (this.output.push(line) > 2_000) this.output.splice(0, 1_000);
      });
    }
  }

  static async start(): Promise<PomeloCluster> {
    const ports: Record<string, number> = {};
    for (const name of ['gate', 'connector-1', 'connector-2', 'c1', 'c2', 'chat-1', 'chat-2', 'master'])
      ports[name] = await freePort();
    const host = '127.0.0.1';
    const folder = makeAppFolder({
      masterPort: ports['master']!,
      prefix: 'shaddock-pomelo-',
      servers: {
        // Pomelo's gate has no RPC port
        gate: [{ id: 'gate-server-1', host, clientPort: ports['gate'], frontend: true }],
        connector: [
          {
            id: 'connector-server-1',
            host,
            port: ports['c1'],
            clientPort: ports['connector-1'],
            frontend: true,
          },
          {
            id: 'connector-server-2',
            host,
            port: ports['c2'],
            clientPort: ports['connector-2'],
            frontend: true,
          },
        ],
        chat: [
          { id: 'chat-server-1', host, port: ports['chat-1'] },
          { id: 'chat-server-2', host, port: ports['chat-2'] },
        ],
      },
    });
    // `enter` retries until the gate, the connectors and the chat servers answer
    return new PomeloCluster(folder.dir, folder.remove, ports);
  }

  waitFor<T extends object | true>(
    what: string,
    probe: () => T | undefined | false | Promise<T | undefined | false>,
    timeoutMs = 30_000,
  ): Promise<T> {
    return waitFor(what, probe, timeoutMs, () => this.tail());
  }

  tail(lines = 60): string {
    return `--- cluster output (last ${lines} lines) ---\n${this.output.slice(-lines).join('\n')}`;
  }

  async client(port: number): Promise<Client> {
    const client = await connect({ host: '127.0.0.1', port, transport: 'ws' });
    this.#clients.push(client);
    return client;
  }

  async raw(port: number): Promise<PinusClient> {
    const client = await PinusClient.connect('ws', port);
    this.#raw.push(client);
    return client;
  }

  /** Through the gate to a connector, then into room `rid`: retried until the chat servers answer. */
  async enter(
    username: string,
    rid: string,
  ): Promise<{ client: Client; users: string[]; connector: string }> {
    const entry = await this.waitFor('the gate to answer', async () => {
      const gate = await this.client(this.ports['gate']!).catch(() => undefined);
      if (gate === undefined) return undefined;
      try {
        const answer = await gate.request('gate.gateHandler.queryEntry', { uid: username });
        return answer['code'] === 200 ? answer : undefined;
      } finally {
        await gate.close();
      }
    });
    const client = await this.client(entry['port'] as number);
    const reply = await this.waitFor('the chat servers to answer', async () => {
      const answer = await client
        .request('connector.entryHandler.enter', { username, rid })
        .catch(() => undefined);
      return answer !== undefined && Array.isArray(answer['users']) ? answer : undefined;
    });
    return { client, users: reply['users'] as string[], connector: entry['id'] as string };
  }

  async dispose(): Promise<void> {
    for (const client of this.#raw.splice(0)) client.destroy();
    await Promise.allSettled(this.#clients.splice(0).map((client) => client.close()));
    const pid = this.#cli.pid ?? 0;
    this.#pids.add(...descendants(pid));
    if (alive(pid)) {
      this.#cli.kill('SIGINT');
      await waitGone(this.#pids.all(), 20_000).catch(() => undefined);
    }
    await this.#pids.killAll();
    this.#remove();
  }
}

/** Collects the pushes of `route` a client gets. */
function collect(client: Client, route: string): JsonObject[] {
  const seen: JsonObject[] = [];
  client.on(route, (body: JsonObject) => seen.push(body));
  return seen;
}

describe('a Pomelo app under shaddock/pomelo, started with `shaddock start`', () => {
  let cluster: PomeloCluster;

  beforeAll(async () => {
    cluster = await PomeloCluster.start();
    // every connector sees both chat servers and ran afterStartAll (so rooms route the same way in every test)
    for (const connector of ['connector-1', 'connector-2']) {
      const client = await cluster.waitFor(`${connector} to accept clients`, () =>
        cluster.client(cluster.ports[connector]!).catch(() => undefined),
      );
      await cluster.waitFor(`${connector} to see the whole cluster`, async () => {
        const info = await client.request('connector.entryHandler.info', {}).catch(() => undefined);
        return info?.['chatServers'] === 2 && info['startAll'] === true ? true : undefined;
      });
      await client.close();
    }
  }, 90_000);

  afterAll(async () => {
    await cluster?.dispose();
  }, 60_000);

  it('answers through the gate, enters a room, and pushes the room to every member across connectors', async () => {
    const alice = await cluster.enter('alice', 'room-a');
    expect(alice.users).toEqual(['alice']);
    const added = collect(alice.client, 'onAdd');
    // bob on whichever connector the gate does not give alice: the push crosses frontends
    const other = alice.connector === 'connector-server-1' ? 'connector-2' : 'connector-1';
    const bob = await cluster.client(cluster.ports[other]!);
    const bobEntered = await cluster.waitFor('bob to enter', async () => {
      const answer = await bob.request('connector.entryHandler.enter', { username: 'bob', rid: 'room-a' });
      return Array.isArray(answer['users']) ? answer : undefined;
    });
    expect([...(bobEntered['users'] as string[])].sort()).toEqual(['alice', 'bob']);
    await cluster.waitFor('alice to hear of bob', () => added.some((push) => push['user'] === 'bob'));

    const aliceChats = collect(alice.client, 'onChat');
    const bobChats = collect(bob, 'onChat');
    // the route inside the message (Pomelo's legacy channel.pushMessage(msg))
    expect(await alice.client.request('chat.chatHandler.send', { content: 'hi all', target: '*' })).toEqual(
      {},
    );
    await cluster.waitFor(
      'both to get the room message',
      () => aliceChats.length === 1 && bobChats.length === 1,
    );
    expect(bobChats[0]).toMatchObject({ msg: 'hi all', from: 'alice', target: '*' });
    // one user: channel.getMember(uid).sid and pushMessageByUids(msg-with-route, [{ uid, sid }])
    await bob.request('chat.chatHandler.send', { content: 'psst', target: 'alice' });
    await cluster.waitFor('alice to get the private message', () =>
      aliceChats.some((push) => push['msg'] === 'psst'),
    );
    expect(bobChats.some((push) => push['msg'] === 'psst')).toBe(false);

    // a notify whose handler pushes with (route, msg, opts, cb)
    const notices = collect(bob, 'onNotice');
    alice.client.notify('chat.chatHandler.notice', { text: 'notice this' });
    await cluster.waitFor('bob to get the notice', () =>
      notices.some((push) => push['text'] === 'notice this'),
    );

    // a duplicate log-in: sessionService.getByUid(uid) is an array only when the uid has sessions
    const again = await cluster.client(cluster.ports[other]!);
    expect(await again.request('connector.entryHandler.enter', { username: 'bob', rid: 'room-a' })).toEqual({
      code: 500,
      error: true,
    });

    // a kick through the frontend's sessionService.kick: the client is kicked, session.on('closed')
    // runs Pomelo's onUserLeave, whose callback RPC tells the room
    const left = collect(alice.client, 'onLeave');
    const kicked = new Promise<string>((resolve) => bob.events.on('kick', ({ reason }) => resolve(reason)));
    expect(await bob.request('connector.entryHandler.kickMe', {})).toEqual({ code: 200 });
    expect(await kicked).toBe('kicked by request');
    await cluster.waitFor('alice to hear that bob left', () => left.some((push) => push['user'] === 'bob'));
  }, 120_000);

  it('calls every chat server with toServer("*"), one by id with rpcInvoke, and kicks from a backend', async () => {
    const carol = await cluster.enter('carol', 'room-c');
    const census = await carol.client.request('chat.chatHandler.census', {});
    expect(census['servers']).toBe(2);
    const ids = (census['results'] as { serverId: string }[]).map((result) => result.serverId).sort();
    expect(ids).toEqual(['chat-server-1', 'chat-server-2']);

    const invoked: string[][] = [];
    for (const serverId of ['chat-server-1', 'chat-server-2']) {
      const answer = await carol.client.request('chat.chatHandler.invoke', { serverId });
      invoked.push(answer['users'] as string[]);
    }
    // carol's room lives on one of them
    expect(invoked.filter((users) => users.includes('carol'))).toHaveLength(1);

    const kicked = new Promise<string>((resolve) =>
      carol.client.events.on('kick', ({ reason }) => resolve(reason)),
    );
    expect(await carol.client.request('chat.chatHandler.kickMe', {})).toEqual({ code: 200 });
    expect(await kicked).toBe('kick');
  }, 120_000);

  it('runs filters, the error handler, components, plugins and settings the Pomelo way', async () => {
    const dave = await cluster.enter('dave', 'room-d');
    expect(await dave.client.request('chat.chatHandler.fail', {})).toEqual({
      code: 501,
      error: 'this handler fails',
    });
    expect(await dave.client.request('chat.chatHandler.refused', {})).toEqual({
      code: 501,
      error: 'refused by the before filter',
    });
    expect(await dave.client.request('chat.chatHandler.send', { shortCircuit: true })).toEqual({
      code: 200,
      shortCircuit: true,
    });
    const info = await dave.client.request('connector.entryHandler.info', {});
    expect(info).toMatchObject({
      serverId: dave.connector,
      serverType: 'connector',
      fromGet: dave.connector,
      env: 'test',
      isFrontend: true,
      isBackend: false,
      nobodyByUid: true,
      counter: 7,
      greeting: 'hello',
      connectorComponent: true,
      chatConfig: { maxUsers: 10, welcome: 'welcome to the test chat' },
      curServer: dave.connector,
      master: true,
      chatServers: 2,
    });
    // the plugin's event class saw dave's bind_session; the RPC filter counted enter's add
    expect(info['boundUids']).toContain('dave*room-d');
    expect(info['rpcCalls']).toBeGreaterThan(0);
    await cluster.waitFor('start_all on the connector', async () => {
      const again = await dave.client.request('connector.entryHandler.info', {});
      return again['startAll'] === true;
    });
    // the chat server's app/servers/chat/lifecycle.js
    await cluster.waitFor('the chat lifecycle to reach afterStartAll', async () => {
      const answer = await dave.client.request('chat.chatHandler.lifecycle', {});
      const steps = answer['steps'] as string[];
      return steps.length === 3 ? true : undefined;
    });
    expect(await dave.client.request('chat.chatHandler.lifecycle', {})).toEqual({
      steps: ['beforeStartup', 'afterStartup', 'afterStartAll'],
    });
    // channelService.broadcast(type, route, msg, { binded: true }, cb)
    const broadcasts = collect(dave.client, 'onBroadcast');
    expect(await dave.client.request('chat.chatHandler.shout', { text: 'to all' })).toEqual({ code: 200 });
    await cluster.waitFor('the broadcast', () => broadcasts.some((push) => push['text'] === 'to all'));
    // session.set + pushAll(cb) reach the frontend's session; unbind(uid, cb) frees the uid
    expect(await dave.client.request('connector.entryHandler.leaveQuietly', { note: 'n1' })).toEqual({
      stored: 'n1',
      stillBound: false,
    });
  }, 120_000);

  it('adds a cron at run time with app.addCrons, stops it with app.removeCrons, and logs a bad batch', async () => {
    const gina = await cluster.enter('gina', 'room-g');
    // app.js called addCrons before start on each chat server: logged as an AppState error, not thrown
    await cluster.waitFor('the early addCrons to be logged', () =>
      cluster.output.some((line) => line.includes('app.addCrons before app.start()')),
    );
    // a batch with one malformed entry: logged, the handler answers, and none of it is scheduled
    expect(await gina.client.request('chat.chatHandler.badCrons', {})).toEqual({ code: 200 });
    await cluster.waitFor('the bad batch to be logged', () =>
      cluster.output.some((line) => line.includes('cron [1]') && line.includes('every second')),
    );
    const added = await gina.client.request('chat.chatHandler.addTick', {});
    const ticking = await cluster.waitFor(
      'the added cron to run three times',
      async () => {
        const answer = await gina.client.request('chat.chatHandler.ticks', {});
        return (answer['ticks'] as number) >= 3 ? answer : undefined;
      },
      45_000,
    );
    expect(ticking['serverId']).toBe(added['serverId']);
    const removed = await gina.client.request('chat.chatHandler.removeTick', {});
    expect(removed['serverId']).toBe(added['serverId']);
    // three more seconds: a cron still scheduled (the tick, or the bad batch's 'fine') would have run
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    const later = await gina.client.request('chat.chatHandler.ticks', {});
    expect(later['ticks']).toBe(removed['ticks']);
  }, 120_000);

  it('serves a raw pinus-protocol client, and says once at start-up what it does not honour', async () => {
    const raw = await cluster.raw(cluster.ports['gate']!);
    await raw.open();
    expect(await raw.call('gate.gateHandler.queryEntry', { uid: 'erin' })).toMatchObject({ code: 200 });
    const notices = cluster.output.filter((line) => line.includes('pomelo compatibility'));
    const gateLines = notices.filter((line) => line.includes('sioconnector is not supported'));
    expect(gateLines, notices.join('\n')).toHaveLength(1);
    expect(gateLines[0]).toContain('gate-server-1');
    // each connector says it once about disconnectOnTimeout
    expect(
      notices.filter((line) => line.includes('connectorConfig.disconnectOnTimeout ignored')),
    ).toHaveLength(2);
    // every process says once that it does not read proxyConfig; rpcFilters.rpcLog is reported
    const proxyLines = notices.filter((line) => line.includes("app.set('proxyConfig') ignored"));
    const speakers = proxyLines.map((line) => line.split(' ')[0]);
    expect(new Set(speakers).size).toBe(proxyLines.length);
    expect(speakers).toContain('[chat-server-1]');
    const rpcLog = notices.filter(
      (line) => line.startsWith('[chat-server-2]') && line.includes('rpcFilters.rpcLog'),
    );
    expect(rpcLog).toHaveLength(1);
  }, 60_000);
});

describe('a Pomelo app under `shaddock server` (one server, no master)', () => {
  it('loads the CommonJS entry, knows its server type before start, and serves its handlers', async () => {
    const clientPort = await freePort();
    const folder = makeAppFolder({
      masterPort: await freePort(),
      prefix: 'shaddock-pomelo-server-',
      servers: { gate: [{ id: 'gate-server-1', host: '127.0.0.1', clientPort, frontend: true }] },
    });
    const output: string[] = [];
    const pids = new PidTracker();
    const server = spawn(
      process.execPath,
      [SHADDOCK_BIN, 'server', '--dir', folder.dir, '--entry', join(FIXTURE, 'app.js'), '--env', 'test'],
      {
        cwd: folder.dir,
        env: { ...process.env, SHADDOCK_SERVER_ID: 'gate-server-1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    pids.add(server.pid);
    for (const stream of [server.stdout, server.stderr])
      createInterface({ input: stream!, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) =>
        output.push(line),
      );
    let client: PinusClient | undefined;
    try {
      client = await waitFor(
        'the gate to accept a client',
        () => PinusClient.connect('ws', clientPort).catch(() => undefined),
        30_000,
        () => output.join('\n'),
      );
      await client.open();
      // no connector is listed: the gate's handler answers Pomelo's way
      expect(await client.call('gate.gateHandler.queryEntry', { uid: 'frank' })).toEqual({ code: 500 });
      // configure('test|development', 'gate', …) ran: its connector setting is reported once
      expect(output.filter((line) => line.includes('sioconnector is not supported'))).toHaveLength(1);
    } finally {
      client?.destroy();
      server.kill('SIGTERM');
      await waitGone(pids.all(), 20_000).catch(() => undefined);
      await pids.killAll();
      folder.remove();
    }
  }, 60_000);
});
