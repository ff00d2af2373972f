// A graceful stop under load, on a real cluster (the frontend-app fixture: a master, two connectors,
// two room servers) stopped by the real `shaddock stop` command while hundreds of `@shaddock/client`
// clients send requests without a pause: every request sent gets exactly one answer (its response, or
// `ResponseCode.ServerStopping`), forwarded requests in flight at the stop are answered by their
// backend, every client is kicked with the reason before its socket closes, and no server logs a
// socket error (no call meets a closed port). Figures (requests in flight at the stop, its duration)
// are printed for the report.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@shaddock/client';
import type { JsonObject } from '@shaddock/protocol';
import { describe, expect, it } from 'vitest';
import { ResponseCode } from '../src/errors.js';
import { ADMIN } from './support/app-folder.js';
import { type ConnectorId, type FrontendCluster, withFrontendCluster } from './support/frontend-cluster.js';
import { SHADDOCK_BIN } from './support/processes.js';

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

async function enterClient(
  cluster: FrontendCluster,
  index: number,
): Promise<{ client: Client; tally: Tally }> {
  const connector: ConnectorId = index % 2 === 0 ? 'connector-1' : 'connector-2';
  const transport = (index >> 1) % 2 === 0 ? 'ws' : 'tcp';
  const client = await cluster.connect(connector, transport, { requestTimeout: 60_000 });
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
function logLines(cluster: FrontendCluster): string[] {
  const folder = join(cluster.dir, 'logs');
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

      const lines = logLines(cluster);
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

  it('cuts at the drain timeout: a request still running is answered ServerStopping, and the log says what was cut', async () => {
    await withFrontendCluster({}, async (cluster) => {
      const { client, tally } = await enterClient(cluster, 0);
      // held on its room's server (room-2) until a release that never comes
      const held = client.request(HOLD, { key: 'forever' });
      await cluster.waitFor('the request to be held', () => cluster.seen('room-2', 'hold:start').length > 0);
      const stop = await stopCluster(cluster, '--deadline', '1000');
      expect(stop, stop.out).toMatchObject({ code: 0 });
      expect(await held).toEqual({
        code: ResponseCode.ServerStopping,
        message: 'server stopping: the request did not finish before the drain deadline',
      });
      await tally.closed;
      expect(tally).toMatchObject({ kick: 'server stopping', closedBeforeKick: false });
      const cut = logLines(cluster)
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line['serverId'] === 'connector-1' && line['requestsCut'] !== undefined);
      expect(cut).toMatchObject([{ level: 40, inFlightAtStop: 1, requestsCut: 1, drainTimeoutMs: 1000 }]);
    });
  }, 120_000);
});
