// Drives the players process (./scale-app/players.mjs) inside a host's namespace: join players
// through the gates, send requests on their connections, read what they received; and checks
// their `onTick` sequence numbers (nothing lost, nothing twice).
import { fileURLToPath } from 'node:url';
import { waitFor } from '../support/processes.js';
import type { HostProcess, TestNetwork } from './netns.js';

const SCRIPT = fileURLToPath(new URL('./scale-app/players.mjs', import.meta.url));

/** Where a player asks which connector to use: a gate's address and client port. */
export interface GateAddress {
  readonly host: string;
  readonly port: number;
}

/** A player: its uid, its room, the connector it asks the gate for, the gates in the order it tries them. */
export interface PlayerSpec {
  readonly uid: string;
  readonly room: string;
  readonly prefer: string;
  readonly gates: readonly GateAddress[];
}

/** One connection a player entered its room on: the connector, the room's seq then, every tick seq received. */
export interface Segment {
  readonly connector: string;
  readonly joinSeq: number;
  readonly seqs: readonly number[];
}

/** What the players process reports: `entered`, `lost`, `log` (and `reply`, consumed here). */
export interface PlayerEvent {
  readonly ev: string;
  readonly uid?: string;
  readonly connector?: string;
  readonly joinSeq?: number;
  readonly reason?: string;
  readonly message?: string;
  readonly at?: number;
}

/** What `connector.entry.call` answers: the remote's value, or the error, and the time it took on the connector. */
export interface CallResult {
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: { readonly name: string; readonly code?: string | number; readonly message: string };
  readonly elapsedMs: number;
}

/** One request of a player's stream: its number, when it was sent (epoch ms), its round trip, its outcome. */
export interface StreamRecord {
  readonly n: number;
  readonly at: number;
  readonly ms: number;
  readonly ok: boolean;
  /** The `n` the answer carried. */
  readonly echo?: number;
  /** The server that answered. */
  readonly serverId?: string;
  readonly error?: string;
}

interface Reply {
  readonly ev: 'reply';
  readonly id: number;
  readonly ok: boolean;
  readonly body?: unknown;
  readonly error?: string;
}

/** The players process on one host. */
export class Players {
  readonly process: HostProcess;
  readonly #events: PlayerEvent[] = [];
  readonly #waiting = new Map<number, (reply: Reply) => void>();
  #nextId = 1;

  constructor(network: TestNetwork, host: string) {
    this.process = network.spawn(host, process.execPath, [SCRIPT], { name: 'players', stdin: true });
    this.process.onLine((line) => {
      if (!line.startsWith('{')) return;
      const message = JSON.parse(line) as PlayerEvent | Reply;
      if (message.ev === 'reply') {
        const reply = message as Reply;
        this.#waiting.get(reply.id)?.(reply);
        this.#waiting.delete(reply.id);
      } else {
        this.#events.push(message);
      }
    });
  }

  /** Sends a command and resolves with its reply's body; rejects on a failure, an exit or `timeoutMs`. */
  async #send<T>(command: Record<string, unknown>, timeoutMs = 20_000): Promise<T> {
    const id = this.#nextId++;
    const reply = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`no reply to ${JSON.stringify(command)} within ${timeoutMs} ms\n${this.output()}`));
      }, timeoutMs);
      this.#waiting.set(id, (received) => {
        clearTimeout(timer);
        resolve(received);
      });
      void this.process.exited.then((exit) => {
        clearTimeout(timer);
        reject(new Error(`the players process exited (${JSON.stringify(exit)})\n${this.output()}`));
      });
    });
    this.process.writeLine(JSON.stringify({ ...command, id }));
    const received = await reply;
    if (!received.ok) throw new Error(`${String(command['op'])} failed: ${received.error}`);
    return received.body as T;
  }

  /** Joins a player through the gates; resolves with its first `enter` answer. */
  join(spec: PlayerSpec, timeoutMs = 20_000): Promise<{ connector: string; seq: number }> {
    return this.#send({ op: 'join', ...spec }, timeoutMs);
  }

  /** A request on `uid`'s current connection: the response body and the round trip. */
  request(
    uid: string,
    route: string,
    body: Record<string, unknown>,
  ): Promise<{ body: unknown; elapsedMs: number }> {
    return this.#send({ op: 'request', uid, route, body });
  }

  /** `chat.chatRemote.<method>(...args)` on chat server `serverId`, called by `uid`'s connector. */
  async call(
    uid: string,
    serverId: string,
    method: string,
    args: readonly unknown[] = [],
  ): Promise<CallResult> {
    const { body } = await this.request(uid, 'connector.entry.call', { serverId, method, args });
    return body as CallResult;
  }

  /**
   * Has `uid` send `route` with `{ n }` (n = 1, 2, …) on its connection, one request at a time,
   * `intervalMs` apart, until {@link stopStream}.
   */
  async startStream(uid: string, route: string, intervalMs: number): Promise<void> {
    await this.#send({ op: 'stream', uid, route, intervalMs });
  }

  /** Stops `uid`'s stream (its request in flight finishes first); resolves with every request's record. */
  async stopStream(uid: string): Promise<StreamRecord[]> {
    const { records } = await this.#send<{ records: StreamRecord[] }>({ op: 'streamStop', uid });
    return records;
  }

  /** Every player's segments, and whether it is connected now. */
  async report(): Promise<Record<string, { segments: Segment[]; connected: boolean }>> {
    const { players } = await this.#send<{
      players: Record<string, { segments: Segment[]; connected: boolean }>;
    }>({
      op: 'report',
    });
    return players;
  }

  /** The events reported so far (`entered`, `lost`, `log`). */
  events(): PlayerEvent[] {
    return [...this.#events];
  }

  /** Waits for an event matching `match`; resolves with it. */
  waitForEvent(
    what: string,
    match: (event: PlayerEvent) => boolean,
    timeoutMs = 20_000,
  ): Promise<PlayerEvent> {
    return waitFor(
      what,
      () => this.#events.find(match),
      timeoutMs,
      () => this.output(),
    );
  }

  /** The process's last lines. */
  output(lines = 40): string {
    return this.process.output(lines);
  }

  /** Closes every player and ends the process (killed if it does not end in time). */
  async close(): Promise<void> {
    if (this.process.exit === undefined) {
      await this.#send({ op: 'close' }, 5_000).catch(() => {});
      await this.process.stop(2_000);
    }
  }
}

/** Options of {@link tickProblems}. */
export interface TickCheck {
  /** The last seq the room pushed: the last segment must reach it. */
  readonly lastSeq: number;
  /** Segments that may lack their tail (a lost path: the host was cut); by index. */
  readonly lossyTails?: readonly number[];
  /**
   * Segments that may also receive, late, ticks from before their join that no earlier segment
   * got: pushes held up during a cut and delivered once the link is back, to the uid's new session
   * on the same connector. Still never twice.
   */
  readonly lateInto?: readonly number[];
}

/**
 * What is wrong with a player's ticks, as readable lines (none: every tick of every working path
 * arrived exactly once, in order): a seq received twice, a seq out of order or from before the
 * segment's join (unless in `lateInto`), a hole within a segment, a segment that stops before
 * `lastSeq` (only the last one must reach it; earlier ones must reach their successor's join,
 * unless in `lossyTails`).
 */
export function tickProblems(segments: readonly Segment[], check: TickCheck): string[] {
  const problems: string[] = [];
  const seen = new Set<number>();
  segments.forEach((segment, index) => {
    const where = `segment ${index} (${segment.connector}, joined at ${segment.joinSeq})`;
    let previous = segment.joinSeq;
    for (const seq of segment.seqs) {
      if (seen.has(seq)) problems.push(`${where}: seq ${seq} received twice`);
      seen.add(seq);
      if (seq <= segment.joinSeq) {
        if (!check.lateInto?.includes(index)) problems.push(`${where}: seq ${seq} is from before its join`);
      } else if (seq < previous) problems.push(`${where}: seq ${seq} after ${previous}`);
      else if (seq > previous + 1)
        problems.push(`${where}: lost ${seq - previous - 1} (seq ${previous + 1}..${seq - 1})`);
      previous = Math.max(previous, seq);
    }
    const next = segments[index + 1];
    const end = next === undefined ? check.lastSeq : next.joinSeq;
    if (previous < end && !check.lossyTails?.includes(index))
      problems.push(
        `${where}: stops at ${previous}, ${end - previous} before ${next ? 'the next join' : 'the last seq'} ${end}`,
      );
  });
  return problems;
}

/** Options of {@link streamProblems}. */
export interface StreamCheck {
  /** The server that must answer every request. */
  readonly serverId: string;
  /** The longest round trip allowed. */
  readonly maxMs: number;
  /** The stream's pause between requests: a request sent later than this after the previous one's answer is a gap. */
  readonly intervalMs: number;
}

/**
 * What is wrong with a stream of numbered requests, as readable lines (none: every request, from
 * 1 on, was answered once, by `serverId`, with its own number, within `maxMs`, and the next one
 * followed without a gap).
 */
export function streamProblems(records: readonly StreamRecord[], check: StreamCheck): string[] {
  const problems: string[] = [];
  if (records.length === 0) problems.push('no request was sent');
  records.forEach((record, index) => {
    const at = `request ${record.n} (sent at ${record.at})`;
    if (record.n !== index + 1) problems.push(`${at}: expected number ${index + 1}`);
    if (!record.ok) problems.push(`${at}: failed after ${record.ms} ms: ${record.error}`);
    else if (record.echo !== record.n) problems.push(`${at}: answered for ${record.echo}`);
    else if (record.serverId !== check.serverId) problems.push(`${at}: answered by ${record.serverId}`);
    if (record.ms > check.maxMs) problems.push(`${at}: took ${record.ms} ms (bound ${check.maxMs})`);
    const previous = records[index - 1];
    const gap = previous === undefined ? 0 : record.at - previous.at - previous.ms - check.intervalMs;
    if (gap > check.maxMs) problems.push(`${at}: sent ${gap} ms late (bound ${check.maxMs})`);
  });
  return problems;
}
