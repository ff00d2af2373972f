// The players of the multi-host tests, run inside a host's namespace (the test process cannot
// reach the hosts' addresses): one process, many players, driven over stdin and reporting on
// stdout, one JSON object a line. Each player does what a Pomelo client does: asks a gate which
// connector to use, connects there, enters its room, and when the connection is lost (a closed
// socket, or 2 silent heartbeats) starts over through the gates, in its order, until it is in
// again. It keeps every `onTick` sequence number it receives, per connection ("segment").
//
// In:  { op: 'join', uid, room, prefer, gates: [{ host, port }] }   → reply, then events
//      { op: 'request', id, uid, route, body }                      → reply { body, elapsedMs }
//      { op: 'report', id }                                         → reply { players: { uid: { segments } } }
//      { op: 'stream', id, uid, route, intervalMs }                 → reply; then requests `route` with
//                                                                       { n: 1, 2, … }, one at a time
//      { op: 'streamStop', id, uid }                                → reply { records: [{ n, at, ms, ok, … }] }
//      { op: 'close', id }                                          → reply, then exit
// Out: { ev: 'reply', id, ok, body | error }
//      { ev: 'entered', uid, connector, joinSeq, attempts, at }  { ev: 'lost', uid, connector, reason, at }
//      { ev: 'log', uid, message }
import { createInterface } from 'node:readline';
import { connect } from '@shaddock/client';

const TIMEOUTS = { connectTimeout: 1_000, handshakeTimeout: 1_000, requestTimeout: 3_000 };
const RETRY_MS = 250;

function emit(event) {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A reply body that is an error (`{ code }` other than 200). */
function failed(body) {
  return typeof body === 'object' && body !== null && typeof body.code === 'number' && body.code !== 200;
}

class Player {
  constructor({ uid, room, prefer, gates }) {
    this.uid = uid;
    this.room = room;
    this.prefer = prefer;
    this.gates = gates;
    /** Every connection it entered its room on: { connector, joinSeq, seqs }. */
    this.segments = [];
    this.client = undefined;
    this.closed = false;
    this.firstEntry = new Promise((resolve) => {
      this.entered = resolve;
    });
    void this.#run();
  }

  /** Asks the gates in order which connector to use. */
  async #query() {
    for (const gate of this.gates) {
      let client;
      try {
        client = await connect({ ...gate, ...TIMEOUTS });
        const body = await client.request('gate.gateHandler.queryEntry', {
          uid: this.uid,
          prefer: this.prefer,
        });
        if (!failed(body)) return body;
        emit({ ev: 'log', uid: this.uid, message: `gate ${gate.host}: ${JSON.stringify(body)}` });
      } catch (error) {
        emit({ ev: 'log', uid: this.uid, message: `gate ${gate.host}: ${error.message}` });
      } finally {
        client?.close().catch(() => {});
      }
    }
    return undefined;
  }

  async #run() {
    let attempts = 0;
    while (!this.closed) {
      attempts += 1;
      const target = await this.#query();
      if (target === undefined) {
        await sleep(RETRY_MS);
        continue;
      }
      let client;
      try {
        client = await connect({ host: target.host, port: target.port, ...TIMEOUTS });
        const segment = { connector: target.id, joinSeq: null, seqs: [] };
        client.on('onTick', (body) => {
          if (body.room === this.room) segment.seqs.push(body.seq);
        });
        const lost = new Promise((resolve) => client.events.once('closed', ({ error }) => resolve(error)));
        // A long deadline: a retried enter could race the leave of the one given up on. A dead
        // connection ends it sooner (2 silent heartbeats).
        const body = await client.request(
          'connector.entry.enter',
          { uid: this.uid, room: this.room },
          { timeout: 10_000 },
        );
        if (failed(body)) throw new Error(`enter refused: ${JSON.stringify(body)}`);
        segment.connector = body.connector;
        segment.joinSeq = body.seq;
        this.segments.push(segment);
        this.client = client;
        emit({
          ev: 'entered',
          uid: this.uid,
          connector: body.connector,
          joinSeq: body.seq,
          attempts,
          at: Date.now(),
        });
        this.entered(body);
        attempts = 0;
        const error = await lost;
        this.client = undefined;
        if (this.closed) return;
        emit({
          ev: 'lost',
          uid: this.uid,
          connector: body.connector,
          reason: error?.message ?? 'closed',
          at: Date.now(),
        });
      } catch (error) {
        emit({ ev: 'log', uid: this.uid, message: `connector ${target.id}: ${error.message}` });
        client?.close().catch(() => {});
        await sleep(RETRY_MS);
      }
    }
  }

  async request(route, body) {
    if (this.client === undefined) throw new Error(`${this.uid} is not connected`);
    const started = performance.now();
    const reply = await this.client.request(route, body, { timeout: 15_000 });
    return { body: reply, elapsedMs: Math.round(performance.now() - started) };
  }

  /**
   * Sends `route` with `{ n }`, n = 1, 2, …, one request at a time and `intervalMs` apart, on
   * whatever connection it has, until `stopStream`; keeps every outcome: when it was sent (epoch
   * ms), the round trip, and the answer's `n` and server, or the failure.
   */
  startStream(route, intervalMs) {
    if (this.stream !== undefined) throw new Error(`${this.uid} streams already`);
    const stream = { stopped: false, records: [] };
    this.stream = stream;
    stream.done = (async () => {
      for (let n = 1; !stream.stopped; n++) {
        const at = Date.now();
        const started = performance.now();
        const ms = () => Math.round(performance.now() - started);
        try {
          if (this.client === undefined) throw new Error('not connected');
          const body = await this.client.request(route, { n }, { timeout: 5_000 });
          if (failed(body)) stream.records.push({ n, at, ms: ms(), ok: false, error: JSON.stringify(body) });
          else stream.records.push({ n, at, ms: ms(), ok: true, echo: body?.n, serverId: body?.serverId });
        } catch (error) {
          stream.records.push({ n, at, ms: ms(), ok: false, error: error.message });
        }
        await sleep(intervalMs);
      }
    })();
  }

  /** Stops the stream once its request in flight has its outcome; answers every record. */
  async stopStream() {
    const stream = this.stream;
    if (stream === undefined) throw new Error(`${this.uid} does not stream`);
    stream.stopped = true;
    await stream.done;
    this.stream = undefined;
    return stream.records;
  }

  async close() {
    this.closed = true;
    if (this.stream !== undefined) this.stream.stopped = true;
    await this.client?.close();
  }
}

const players = new Map();

async function handle(command) {
  switch (command.op) {
    case 'join': {
      if (players.has(command.uid)) throw new Error(`${command.uid} exists`);
      const player = new Player(command);
      players.set(command.uid, player);
      return await player.firstEntry;
    }
    case 'request': {
      const player = players.get(command.uid);
      if (player === undefined) throw new Error(`no player ${command.uid}`);
      return await player.request(command.route, command.body);
    }
    case 'stream': {
      const player = players.get(command.uid);
      if (player === undefined) throw new Error(`no player ${command.uid}`);
      player.startStream(command.route, command.intervalMs);
      return {};
    }
    case 'streamStop': {
      const player = players.get(command.uid);
      if (player === undefined) throw new Error(`no player ${command.uid}`);
      return { records: await player.stopStream() };
    }
    case 'report':
      return {
        players: Object.fromEntries(
          [...players].map(([uid, player]) => [
            uid,
            { segments: player.segments, connected: !!player.client },
          ]),
        ),
      };
    case 'close':
      await Promise.allSettled([...players.values()].map((player) => player.close()));
      setImmediate(() => process.exit(0));
      return {};
    default:
      throw new Error(`unknown op ${command.op}`);
  }
}

createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
  let command;
  try {
    command = JSON.parse(line);
  } catch {
    emit({ ev: 'log', message: `not JSON: ${line}` });
    return;
  }
  handle(command).then(
    (body) => emit({ ev: 'reply', id: command.id, ok: true, body }),
    (error) => emit({ ev: 'reply', id: command.id, ok: false, error: error.message }),
  );
});
// The test closed its end: nothing more will come.
process.stdin.on('end', () => process.exit(0));
