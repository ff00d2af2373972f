// A graceful stop under load, on a real cluster (the frontend-app fixture: a master, two connectors,
// two room servers) stopped by the real `shaddock stop` command while hundreds of `@shaddock/client`
// clients send requests without a pause: every request sent gets exactly one answer (its response, or
// `ResponseCode.ServerStopping`), forwarded requests in flight at the stop are answered by their
// backend, every client is kicked with the reason before its socket closes, and no server logs a
// socket error (no call meets a closed port). Figures (requests in flight at the stop, its duration)
// are printed for the report.
import { spawn } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Client, connect } from '@shaddock/client';
import type { JsonObject } from '@shaddock/protocol';
import { describe, expect, it } from 'vitest';
import { ResponseCode } from '../src/errors.js';
import { ADMIN, freePort, makeAppFolder } from './support/app-folder.js';
import { readClusterEvents } from './support/cluster-events.js';
import { type ConnectorId, type FrontendCluster, withFrontendCluster } from './support/frontend-cluster.js';
import { PidTracker, SHADDOCK_BIN, waitFor } from './support/processes.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/frontend-app/', import.meta.url));

const ENTER = 'connector.entry.enter';
const ECHO = 'room.roomHandler.echo';
const SAY = 'room.roomHandler.say';
const HOLD = 'room.roomHandler.hold';

const CLIENTS = 300;
/** Every tenth client asks for slow answers: forwarded requests are always in flight at the stop. */
const SLOW_EVERY = 10;
const SLOW_DELAY_MS = 400;
/** What a server log must never hold after a graceful stop: a call or push that met a closed port. */
const SOCKET_ERRORS = /ECONNREFUSED|ECONNRESET|EPIPE|socket hang up|cannot connect|connection lost/;

/** What one client saw. */
interface Tally {
  sent: number;
  answered: number;
  stopping: number;
  /** Requests sent before the first `ServerStopping` answer (a connector drains) and answered normally after it. */
  answeredAcrossStop: number;
  /** Anything else: a rejected request, an unexpected body. */
  failures: string[];
  kick: string | undefined;
  closedBeforeKick: boolean;
  closed: Promise<void>;
}

/** When the first `ServerStopping` answer came (`performance.now()`): a connector is draining. */
let firstStoppingAt: number | undefined;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `shaddock stop` on the cluster, with more arguments. */
function stopCluster(
  cluster: FrontendCluster,
  ...more: string[]
): Promise<{ code: number | null; out: string }> {
  const { username, password } = ADMIN;
  return shaddock([
    'stop',
    '--dir',
    cluster.dir,
    '--env',
    'test',
    '--username',
    username,
    '--password',
    password,
    ...more,
  ]);
}

/** Runs the built `shaddock` bin; resolves with its exit code and output. */
function shaddock(args: readonly string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SHADDOCK_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

/** Opens a client on a connector (by index: both connectors, both transports). */
type Opener = (
  connector: ConnectorId,
  transport: 'ws' | 'tcp',
  options: { requestTimeout: number },
) => Promise<Client>;

async function enterClient(
  cluster: FrontendCluster | Opener,
  index: number,
  connector: ConnectorId = index % 2 === 0 ? 'connector-1' : 'connector-2',
): Promise<{ client: Client; tally: Tally }> {
  const transport = (index >> 1) % 2 === 0 ? 'ws' : 'tcp';
  const open: Opener = typeof cluster === 'function' ? cluster : (...args) => cluster.connect(...args);
  const client = await open(connector, transport, { requestTimeout: 60_000 });
  const tally: Tally = {
    sent: 0,
    answered: 0,
    stopping: 0,
    answeredAcrossStop: 0,
    failures: [],
    kick: undefined,
    closedBeforeKick: false,
    closed: Promise.resolve(),
  };
  client.events.on('kick', ({ reason }) => {
    tally.kick = reason;
  });
  tally.closed = new Promise((resolve) =>
    client.events.on('closed', () => {
      if (tally.kick === undefined) tally.closedBeforeKick = true;
      resolve();
    }),
  );
  const room = index % 3 === 0 ? 'room-2' : 'room-1';
  await client.request(ENTER, { uid: `user-${index}`, room });
  return { client, tally };
}

/** Sends one request after another until the server answers `ServerStopping` (a client told so stops). */
async function load(client: Client, tally: Tally, index: number): Promise<void> {
  const slow = index % SLOW_EVERY === 0;
  for (let n = 0; ; n++) {
    const saying = !slow && n % 5 === 4;
    const sentAt = performance.now();
    tally.sent++;
    let reply: JsonObject;
    try {
      reply = saying
        ? await client.request(SAY, { text: `${index}:${n}` })
        : await client.request(ECHO, { n, delayMs: slow ? SLOW_DELAY_MS : n % 3 });
    } catch (error) {
      tally.failures.push(`request ${n}: ${String(error)}`);
      return;
    }
    tally.answered++;
    if (reply['code'] === ResponseCode.ServerStopping) {
      firstStoppingAt ??= performance.now();
      tally.stopping++;
      return;
    }
    const fine = saying
      ? typeof reply['delivered'] === 'number'
      : reply['n'] === n && String(reply['serverId']).startsWith('room-');
    if (!fine) tally.failures.push(`request ${n}: ${JSON.stringify(reply)}`);
    if (firstStoppingAt !== undefined && sentAt < firstStoppingAt) tally.answeredAcrossStop++;
  }
}

/** Every log line of the cluster's servers (their files under `logs/`). */
function logLines(dir: string): string[] {
  const folder = join(dir, 'logs');
  return readdirSync(folder)
    .filter((name) => name.endsWith('.log'))
    .flatMap((name) => readFileSync(join(folder, name), 'utf8').split('\n').filter(Boolean));
}

describe('a graceful stop (shaddock stop) under load', () => {
  it('answers every request once, finishes forwarded ones, kicks every client with its reason, and logs no socket error', async () => {
    await withFrontendCluster({}, async (cluster) => {
      const clients: { client: Client; tally: Tally }[] = [];
      for (let first = 0; first < CLIENTS; first += 50) {
        const batch = Array.from({ length: Math.min(50, CLIENTS - first) }, (_, offset) =>
          enterClient(cluster, first + offset),
        );
        clients.push(...(await Promise.all(batch)));
      }
      firstStoppingAt = undefined;
      const loads = clients.map(({ client, tally }, index) => load(client, tally, index));
      await sleep(1_500);

      const startedAt = performance.now();
      const stop = await stopCluster(cluster);
      const stopMs = Math.round(performance.now() - startedAt);
      expect(stop, stop.out).toMatchObject({ code: 0 });
      await Promise.all(loads);
      await Promise.all(clients.map(({ tally }) => tally.closed));

      const tallies = clients.map(({ tally }) => tally);
      const sum = (pick: (tally: Tally) => number): number =>
        tallies.reduce((total, t) => total + pick(t), 0);
      const sent = sum((t) => t.sent);
      const answered = sum((t) => t.answered);
      const failures = tallies.flatMap((t) => t.failures);
      // exactly one answer for every request: none lost, none failed
      expect(failures.slice(0, 5)).toEqual([]);
      expect(answered).toBe(sent);
      // every client was told: a 'server stopping' answer, then the kick with its reason, then the close
      expect(tallies.filter((t) => t.stopping !== 1)).toEqual([]);
      expect(tallies.filter((t) => t.kick !== 'server stopping' || t.closedBeforeKick)).toEqual([]);
      // forwarded requests in flight when the stop began were answered by their backend
      expect(sum((t) => t.answeredAcrossStop)).toBeGreaterThan(0);

      const lines = logLines(cluster.dir);
      expect(lines.filter((line) => SOCKET_ERRORS.test(line))).toEqual([]);
      expect(cluster.output(1_000)).not.toMatch(SOCKET_ERRORS);
      const drained = lines
        .filter((line) => line.includes('"inFlightAtStop"'))
        .map((line) => JSON.parse(line) as Record<string, number>);
      expect(drained).toHaveLength(2);
      for (const report of drained) expect(report).toMatchObject({ requestsCut: 0, notifiesCut: 0 });
      const inFlight = drained.reduce((total, report) => total + (report['inFlightAtStop'] ?? 0), 0);
      expect(inFlight).toBeGreaterThan(0);
      process.stdout.write(
        `graceful stop: ${CLIENTS} clients, ${sent} requests sent, ${answered} answered (lost ${sent - answered}), ` +
          `${inFlight} in flight on the connectors at the stop, ${sum((t) => t.answeredAcrossStop)} answered across it, ` +
          `${sum((t) => t.stopping)} answered 'server stopping'; shaddock stop took ${stopMs} ms ` +
          `(connector drains: ${drained.map((report) => `${report['durationMs']} ms`).join(', ')})\n`,
      );
    });
  }, 180_000);

  it('refuses new clients and requests while draining, and cuts at the drain timeout: a request still running is answered ServerStopping, the log says so', async () => {
    await withFrontendCluster({}, async (cluster) => {
      const { client, tally } = await enterClient(cluster, 0);
      // held on its room's server (room-2) until a release that never comes
      const held = client.request(HOLD, { key: 'forever' });
      await cluster.waitFor('the request to be held', () => cluster.seen('room-2', 'hold:start').length > 0);
      const stopping = stopCluster(cluster, '--deadline', '3000');
      // once the connector drains, a new request is answered 'server stopping' and a new client is refused
      await expect
        .poll(async () => (await client.request(ECHO, { n: 0, delayMs: 0 }))['code'], {
          timeout: 20_000,
          interval: 50,
        })
        .toBe(ResponseCode.ServerStopping);
      await expect(cluster.connect('connector-1', 'tcp')).rejects.toThrow();
      const stop = await stopping;
      expect(stop, stop.out).toMatchObject({ code: 0 });
      expect(await held).toEqual({
        code: ResponseCode.ServerStopping,
        message: 'server stopping: the request did not finish before the drain deadline',
      });
      await tally.closed;
      expect(tally).toMatchObject({ kick: 'server stopping', closedBeforeKick: false });
      const cut = logLines(cluster.dir)
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line['serverId'] === 'connector-1' && line['requestsCut'] !== undefined);
      // (an echo of the polling above may have been in flight too, and finished)
      expect(cut).toMatchObject([{ level: 40, requestsCut: 1, drainTimeoutMs: 3000 }]);
      expect(cut[0]?.['inFlightAtStop']).toBeGreaterThanOrEqual(1);
    });
  }, 120_000);

  it('does the same on SIGTERM to a server run without a master (a supervisor stops it so)', async () => {
    const ports = {
      connector: await freePort(),
      client: await freePort(),
      room1: await freePort(),
      room2: await freePort(),
    };
    const folder = makeAppFolder({
      masterPort: await freePort(),
      servers: {
        connector: [
          {
            id: 'connector-1',
            host: '127.0.0.1',
            port: ports.connector,
            clientPort: ports.client,
            frontend: true,
          },
        ],
        room: [
          { id: 'room-1', host: '127.0.0.1', port: ports.room1 },
          { id: 'room-2', host: '127.0.0.1', port: ports.room2 },
        ],
      },
      prefix: 'shaddock-sigterm-',
    });
    for (const file of ['dictionary.json', 'serverProtos.json', 'clientProtos.json'])
      copyFileSync(join(FIXTURE, 'codec', file), join(folder.dir, 'config', file));
    symlinkSync(join(FIXTURE, 'app'), join(folder.dir, 'app'), 'dir');
    const pids = new PidTracker();
    const clients: Client[] = [];
    const env = {
      ...process.env,
      SHADDOCK_APP_BASE: folder.dir,
      FRONTEND_APP_EVENTS: join(folder.dir, 'events.log'),
    };
    const server = (id: string, serverType: string) => {
      const child = spawn(
        process.execPath,
        [join(FIXTURE, 'app.js'), 'env=test', `id=${id}`, `serverType=${serverType}`],
        {
          cwd: folder.dir,
          env,
          stdio: 'ignore',
        },
      );
      pids.add(child.pid);
      return {
        child,
        exited: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))),
      };
    };
    try {
      const rooms = [server('room-1', 'room'), server('room-2', 'room')];
      const connector = server('connector-1', 'connector');
      await waitFor('every server to be ready', () => {
        const ready = readClusterEvents(folder.dir).filter((event) => event.name === 'ready');
        return ready.length === 3;
      });
      const open: Opener = async (_connector, transport, options) => {
        const client = await connect({ host: '127.0.0.1', port: ports.client, transport, ...options });
        clients.push(client);
        return client;
      };
      const entered = await Promise.all(
        Array.from({ length: 100 }, (_, index) => enterClient(open, index, 'connector-1')),
      );
      firstStoppingAt = undefined;
      const loads = entered.map(({ client, tally }, index) => load(client, tally, index));
      await sleep(1_000);
      connector.child.kill('SIGTERM');
      expect(await connector.exited).toBe(0);
      await Promise.all(loads);
      await Promise.all(entered.map(({ tally }) => tally.closed));
      const tallies = entered.map(({ tally }) => tally);
      expect(tallies.flatMap((t) => t.failures).slice(0, 5)).toEqual([]);
      expect(tallies.filter((t) => t.answered !== t.sent || t.stopping !== 1)).toEqual([]);
      expect(tallies.filter((t) => t.kick !== 'server stopping' || t.closedBeforeKick)).toEqual([]);
      for (const room of rooms) room.child.kill('SIGTERM');
      expect(await Promise.all(rooms.map((room) => room.exited))).toEqual([0, 0]);
      const lines = logLines(folder.dir);
      expect(lines.filter((line) => SOCKET_ERRORS.test(line))).toEqual([]);
      const drained = lines
        .filter((line) => line.includes('"inFlightAtStop"'))
        .map((line) => JSON.parse(line));
      expect(drained).toMatchObject([{ serverId: 'connector-1', requestsCut: 0, clientsKicked: 100 }]);
    } finally {
      await Promise.allSettled(clients.map((client) => client.close()));
      for (const event of readClusterEvents(folder.dir)) pids.add(event.pid);
      await pids.killAll();
      folder.remove();
    }
  }, 120_000);
});
