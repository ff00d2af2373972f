/**
 * The load generator's scenarios, run on the clients it holds: connecting (and entering rooms),
 * request/response with one `echo` in flight per client, and a paced broadcast checked push by
 * push. Every response and push is compared byte for byte with what was sent.
 */
import type { JsonObject } from '@shaddock/protocol';
import { LatencyHistogram } from '../rpc/latency-histogram.js';
import { describeError } from '../rpc/messages.js';
import { BenchClient, type ClientListener, type ProblemSink } from './bench-client.js';
import type {
  BroadcastCommand,
  BroadcastResult,
  ConnectCommand,
  ConnectResult,
  DisconnectResult,
  RequestResponseCommand,
  RequestResponseResult,
} from './loader-protocol.js';
import { chatBody, ECHO_BODIES, ECHO_MASK, ROUTES, readChatBody, sameBytes } from './wire.js';

/** A handshake (and enter) not done in this long fails the client. */
const CONNECT_TIMEOUT_MS = 15_000;
/** A request unanswered this long after the end of its run is counted unanswered. */
const ANSWER_GRACE_MS = 10_000;

/** Connects `command.count` more clients into `clients`, at most `concurrency` at a time. */
export async function connectClients(
  clients: BenchClient[],
  command: ConnectCommand,
  problems: ProblemSink,
): Promise<ConnectResult> {
  const histogram = new LatencyHistogram();
  const first = clients.length;
  let next = 0;
  let connected = 0;
  let failed = 0;
  let firstError: string | null = null;
  const started = process.hrtime.bigint();
  const one = async (): Promise<void> => {
    while (next < command.count) {
      const index = first + next++;
      const endpoint = command.endpoints[index % command.endpoints.length];
      if (endpoint === undefined) throw new Error('no endpoint to connect to');
      const at = process.hrtime.bigint();
      try {
        const client = await BenchClient.connect({
          index,
          host: endpoint.host,
          port: endpoint.port,
          localAddress:
            command.sourceAddresses > 1 ? `127.0.0.${1 + (index % command.sourceAddresses)}` : undefined,
          style: command.style,
          problems,
          timeoutMs: CONNECT_TIMEOUT_MS,
        });
        clients.push(client);
        if (command.enter) {
          const { roomPrefix, rooms } = command.enter;
          const rid = rooms <= 1 ? roomPrefix : `${roomPrefix}-${index % rooms}`;
          await enter(client, { uid: `user-${index}`, rid });
        }
        connected++;
        histogram.record(Number(process.hrtime.bigint() - at));
      } catch (error) {
        failed++;
        firstError ??= describeError(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(command.concurrency, command.count)) }, one));
  return {
    kind: 'connect',
    connected,
    failed,
    clients: clients.length,
    firstError,
    elapsedNs: Number(process.hrtime.bigint() - started),
    latency: histogram.summary(),
  };
}

/** `connector.entryHandler.enter`: answered `{ code: 200 }` (the raw target echoes the body). */
function enter(client: BenchClient, body: JsonObject): Promise<void> {
  const sent = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`enter got no response`)), CONNECT_TIMEOUT_MS);
    client.listener = {
      response: (_client, bytes) => {
        clearTimeout(timer);
        client.listener = { response: () => {}, push: () => {} };
        if (client.style === 'raw' ? sameBytes(bytes, sent) : isCode200(bytes)) resolve();
        else reject(new Error(`enter answered ${Buffer.from(bytes).toString().slice(0, 200)}`));
      },
      push: () => {},
    };
    client.request(ROUTES.enter, body);
  });
}

function isCode200(bytes: Uint8Array): boolean {
  try {
    const value: unknown = JSON.parse(Buffer.from(bytes).toString());
    return typeof value === 'object' && value !== null && (value as { code?: unknown }).code === 200;
  } catch {
    return false;
  }
}

/** Each client keeps one `echo` in flight until the end of the run; every response is checked. */
export function runRequestResponse(
  clients: readonly BenchClient[],
  command: RequestResponseCommand,
): Promise<RequestResponseResult> {
  const histogram = new LatencyHistogram();
  let requests = 0;
  let mismatches = 0;
  let firstError: string | null = null;
  let counter = 0;
  const live = clients.filter((client) => !client.closed);
  let outstanding = live.length;
  const started = process.hrtime.bigint();
  const endAt = started + BigInt(Math.round(command.durationMs * 1e6));
  let lastAt = started;
  return new Promise((resolve) => {
    let done = false;
    const finish = (unanswered: number): void => {
      if (done) return;
      done = true;
      clearTimeout(guard);
      for (const client of live) client.listener = IDLE;
      resolve({
        kind: 'rr',
        clients: live.length,
        requests,
        mismatches,
        unanswered,
        firstError: unanswered > 0 ? (firstError ?? `${unanswered} requests got no response`) : firstError,
        elapsedNs: Number(lastAt - started),
        latency: histogram.summary(),
      });
    };
    const issue = (client: BenchClient): void => {
      const echo = ECHO_BODIES[counter++ & ECHO_MASK]!;
      client.expected = echo.bytes;
      client.sentAt = process.hrtime.bigint();
      client.request(ROUTES.echo, echo.body);
    };
    const listener: ClientListener = {
      response: (client, bytes) => {
        const now = process.hrtime.bigint();
        lastAt = now;
        if (client.expected !== undefined && sameBytes(bytes, client.expected)) {
          requests++;
          histogram.record(Number(now - client.sentAt));
        } else {
          mismatches++;
          firstError ??= `echo answered ${Buffer.from(bytes).toString().slice(0, 120)}`;
        }
        if (now < endAt && !client.closed) issue(client);
        else if (--outstanding === 0) finish(0);
      },
      push: () => {},
    };
    const guard = setTimeout(() => finish(outstanding), command.durationMs + ANSWER_GRACE_MS);
    if (live.length === 0) finish(0);
    for (const client of live) {
      client.listener = listener;
      try {
        issue(client);
      } catch (error) {
        firstError ??= describeError(error);
        outstanding--;
      }
    }
    if (outstanding === 0) finish(0);
  });
}

const IDLE: ClientListener = { response: () => {}, push: () => {} };

/** Pushes that came this recently when the drain ended were still arriving: late, not lost. */
const STILL_ARRIVING_NS = 250e6;

/** Per broadcast run: what was sent, to check every push against. */
interface Sent {
  readonly bytes: Buffer[];
  readonly at: bigint[];
}

/** Broadcast runs so far: a push of an earlier run is told apart from a corrupt one. */
let broadcastRun = 0;

/**
 * Client 0 sends `send` notifies at `rate` per second (paced on a 1 ms timer against a schedule)
 * for `durationMs`; every client expects every message, in order, byte for byte. Waits until every
 * push is in, or `drainMs` after the last send.
 */
export function runBroadcast(
  clients: readonly BenchClient[],
  command: BroadcastCommand,
  onStray: () => void,
): Promise<BroadcastResult> {
  const run = ++broadcastRun;
  const live = clients.filter((client) => !client.closed);
  const sender = live[0];
  const histogram = new LatencyHistogram();
  const sent: Sent = { bytes: [], at: [] };
  let delivered = 0;
  let duplicates = 0;
  let gaps = 0;
  let corrupt = 0;
  let firstError: string | null = null;
  let senderLagMs = 0;
  const started = process.hrtime.bigint();
  let lastAt = started;
  let sendWindowNs = 0;
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      const quietNs = Number(process.hrtime.bigint() - lastAt);
      clearTimeout(timer);
      for (const client of live) client.listener = strayListener(onStray);
      const expected = sent.bytes.length * live.length;
      resolve({
        kind: 'bcast',
        clients: live.length,
        rate: command.rate,
        sent: sent.bytes.length,
        expected,
        delivered,
        duplicates,
        gaps,
        corrupt,
        firstError: firstError ?? (delivered < expected ? `${expected - delivered} pushes missing` : null),
        elapsedNs: Number(lastAt - started),
        sendWindowNs,
        senderLagMs,
        stillArriving: delivered + corrupt < expected && quietNs < STILL_ARRIVING_NS,
        latency: histogram.summary(),
      });
    };
    const listener: ClientListener = {
      response: () => {},
      push: (client, route, bytes) => {
        const now = process.hrtime.bigint();
        lastAt = now;
        const seq = client.cursor;
        if (route === pushCode && seq < sent.bytes.length && sameBytes(bytes, sent.bytes[seq]!)) {
          client.cursor = seq + 1;
          delivered++;
          histogram.record(Number(now - sent.at[seq]!));
        } else {
          const read = route === pushCode ? readChatBody(bytes) : undefined;
          if (read !== undefined && read.run !== run) onStray();
          else if (read !== undefined && read.seq < seq) duplicates++;
          else if (
            read !== undefined &&
            read.seq < sent.bytes.length &&
            sameBytes(bytes, sent.bytes[read.seq]!)
          ) {
            gaps++;
            client.cursor = read.seq + 1;
            delivered++;
            histogram.record(Number(now - sent.at[read.seq]!));
          } else {
            corrupt++;
            firstError ??= `client ${client.index} got ${String(route)} ${Buffer.from(bytes).toString().slice(0, 120)}`;
          }
        }
        if (sendWindowNs > 0 && delivered + corrupt >= sent.bytes.length * live.length) finish();
      },
    };
    if (sender === undefined) {
      finish();
      return;
    }
    // the raw ws server relays the notify itself: its route is `send`'s
    const pushCode = sender.routeCode(sender.style === 'raw' ? ROUTES.send : ROUTES.push);
    for (const client of live) {
      client.cursor = 0;
      client.listener = listener;
    }
    const total = Math.max(1, Math.round((command.rate * command.durationMs) / 1000));
    const intervalNs = 1e9 / command.rate;
    const tick = (): void => {
      const now = process.hrtime.bigint();
      const elapsed = Number(now - started);
      const due = Math.min(total, Math.floor(elapsed / intervalNs) + 1);
      senderLagMs = Math.max(senderLagMs, (elapsed - (due - 1) * intervalNs) / 1e6);
      while (sent.bytes.length < due) {
        const at = process.hrtime.bigint();
        const body = chatBody(run, sent.bytes.length, Number(at / 1000n));
        sent.bytes.push(Buffer.from(JSON.stringify(body)));
        sent.at.push(at);
        sender.notify(command.route ?? ROUTES.send, body);
      }
      if (sent.bytes.length < total) {
        timer = setTimeout(tick, 1);
        return;
      }
      sendWindowNs = Number(process.hrtime.bigint() - started);
      if (delivered + corrupt >= total * live.length) finish();
      else timer = setTimeout(finish, command.drainMs);
    };
    tick();
  });
}

function strayListener(onStray: () => void): ClientListener {
  return { response: () => {}, push: () => onStray() };
}

/** Closes every client; resolves once all are closed (or after 10 s). */
export async function disconnectClients(clients: BenchClient[]): Promise<DisconnectResult> {
  const started = process.hrtime.bigint();
  const closing = clients.splice(0).map((client) => client.close());
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.all(closing),
    new Promise((resolve) => {
      timer = setTimeout(resolve, 10_000);
    }),
  ]);
  clearTimeout(timer);
  return { kind: 'disconnect', closed: closing.length, elapsedNs: Number(process.hrtime.bigint() - started) };
}
