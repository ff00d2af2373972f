/**
 * Child process: the load generator. Holds the clients, runs the orchestrator's commands one at a
 * time (see loader-protocol.ts) and sends each client's heartbeats on time. It says `ready` and
 * obeys `stop` as every benchmark child does (the RPC benchmark's `BenchChild` drives it), and
 * exits as soon as the orchestrator is gone.
 */
import { describeError } from '../rpc/messages.js';
import type { BenchClient, ProblemSink } from './bench-client.js';
import {
  type CommandEnvelope,
  type LoaderCommand,
  type LoaderHealth,
  type LoaderResult,
  type ReplyEnvelope,
  readCommandEnvelope,
} from './loader-protocol.js';
import { connectClients, disconnectClients, runBroadcast, runRequestResponse } from './loads.js';

const HEARTBEAT_TICK_MS = 1000;

const clients: BenchClient[] = [];
let problems = 0;
let firstProblem: string | null = null;
let strayPushes = 0;

const sink: ProblemSink = {
  problem(client, what) {
    problems++;
    firstProblem ??= `client ${client.index}: ${what}`;
  },
};

function health(): LoaderHealth {
  return { problems, firstProblem, strayPushes };
}

function run(command: LoaderCommand): Promise<LoaderResult> {
  switch (command.kind) {
    case 'connect':
      return connectClients(clients, command, sink);
    case 'rr':
      return runRequestResponse(clients, command);
    case 'bcast':
      return runBroadcast(clients, command, () => strayPushes++);
    case 'disconnect':
      return disconnectClients(clients);
  }
}

function send(message: ReplyEnvelope | { kind: 'ready'; pid: number }): void {
  process.send?.(message);
}

if (!process.send) throw new Error('the load generator must be started with an IPC channel');
process.on('disconnect', () => process.exit(0));

const heartbeats = setInterval(() => {
  const now = performance.now();
  for (const client of clients) {
    if (client.heartbeatMs > 0 && client.nextHeartbeatAt <= now && !client.closed) client.heartbeat(now);
  }
}, HEARTBEAT_TICK_MS);
heartbeats.unref();

let queue = Promise.resolve();
process.on('message', (raw: unknown) => {
  if (typeof raw === 'object' && raw !== null && (raw as { kind?: unknown }).kind === 'stop') {
    queue = queue.then(async () => {
      await disconnectClients(clients);
      process.exit(0);
    });
    return;
  }
  const envelope: CommandEnvelope | undefined = readCommandEnvelope(raw);
  if (envelope === undefined) return;
  queue = queue.then(async () => {
    try {
      const result = await run(envelope.command);
      send({ kind: 'frontend-reply', id: envelope.id, reply: { ok: true, result, health: health() } });
    } catch (error) {
      send({
        kind: 'frontend-reply',
        id: envelope.id,
        reply: { ok: false, error: describeError(error), health: health() },
      });
    }
  });
});

send({ kind: 'ready', pid: process.pid });
