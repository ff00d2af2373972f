/**
 * The orchestrator's commands to the load generator and its replies, over the IPC channel. They
 * travel in an envelope of their own (`frontend-command` / `frontend-reply`), beside the
 * `ready` and `stop` messages the RPC benchmark's `BenchChild` exchanges with every child.
 */
import type { LatencySummary } from '../rpc/latency-histogram.js';
import type { WireStyle } from './bench-client.js';

/** Where clients connect. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** Connect `count` more clients, spread over `endpoints`; optionally `enter` a room each. */
export interface ConnectCommand {
  readonly kind: 'connect';
  readonly endpoints: readonly Endpoint[];
  readonly style: WireStyle;
  readonly count: number;
  /** Handshakes in progress at once. */
  readonly concurrency: number;
  /** 127.0.0.1 … 127.0.0.<n> as source addresses, client by client (1: the default address only). */
  readonly sourceAddresses: number;
  /** `connector.entryHandler.enter` after the handshake: room `<prefix>` (rooms 1) or `<prefix>-<i mod rooms>`. */
  readonly enter: { readonly roomPrefix: string; readonly rooms: number } | null;
}

/** Every client keeps one `echo` request in flight for `durationMs`. */
export interface RequestResponseCommand {
  readonly kind: 'rr';
  readonly durationMs: number;
}

/** Client 0 sends `send` notifies at `rate` per second for `durationMs`; every client checks its pushes. */
export interface BroadcastCommand {
  readonly kind: 'bcast';
  readonly rate: number;
  readonly durationMs: number;
  /** The longest wait after the last send for the last pushes (it ends once all are in). */
  readonly drainMs: number;
  /** The route the notifies go to (default `chat.chatHandler.send`; the scale app also has `sendGlobal`). */
  readonly route?: string;
}

/** Closes every client. */
export interface DisconnectCommand {
  readonly kind: 'disconnect';
}

export type LoaderCommand = ConnectCommand | RequestResponseCommand | BroadcastCommand | DisconnectCommand;

/** What went wrong outside the scenarios' own checks, counted since the loader started. */
export interface LoaderHealth {
  /** Kicks, closes by the server, socket errors, unreadable frames, unexpected messages. */
  readonly problems: number;
  readonly firstProblem: string | null;
  /** Pushes that arrived outside a broadcast run (late ones of an earlier run). */
  readonly strayPushes: number;
}

export interface ConnectResult {
  readonly kind: 'connect';
  readonly connected: number;
  readonly failed: number;
  /** Clients held now, in all. */
  readonly clients: number;
  readonly firstError: string | null;
  /** From the first connect to the last handshake (and enter) done. */
  readonly elapsedNs: number;
  /** Per client: socket open to handshake (and enter) done. */
  readonly latency: LatencySummary;
}

export interface RequestResponseResult {
  readonly kind: 'rr';
  readonly clients: number;
  /** Responses that held exactly their request's body. */
  readonly requests: number;
  /** Responses that did not. */
  readonly mismatches: number;
  /** Requests that got no response at all in time. */
  readonly unanswered: number;
  readonly firstError: string | null;
  /** From the first request out to the last response in. */
  readonly elapsedNs: number;
  readonly latency: LatencySummary;
}

export interface BroadcastResult {
  readonly kind: 'bcast';
  readonly clients: number;
  readonly rate: number;
  readonly sent: number;
  /** sent × clients: every client is in the room, the sender too. */
  readonly expected: number;
  /** Pushes that arrived in order, each once, holding exactly what was sent. */
  readonly delivered: number;
  readonly duplicates: number;
  /** Pushes that skipped some before them (those are missing). */
  readonly gaps: number;
  /** Pushes whose bytes were not what was sent. */
  readonly corrupt: number;
  readonly firstError: string | null;
  /** From the first send to the last push in. */
  readonly elapsedNs: number;
  /** The time it took to send: the sender's window. */
  readonly sendWindowNs: number;
  /** The sender's worst lateness against its schedule, in ms (the load generator's own lag). */
  readonly senderLagMs: number;
  /** Pushes were missing when the drain ended, but still coming in: late rather than lost. */
  readonly stillArriving: boolean;
  readonly latency: LatencySummary;
}

export interface DisconnectResult {
  readonly kind: 'disconnect';
  readonly closed: number;
  readonly elapsedNs: number;
}

export type LoaderResult = ConnectResult | RequestResponseResult | BroadcastResult | DisconnectResult;

/** The loader's reply to one command: the result, or what failed, and its health so far. */
export type LoaderReply =
  | { readonly ok: true; readonly result: LoaderResult; readonly health: LoaderHealth }
  | { readonly ok: false; readonly error: string; readonly health: LoaderHealth };

/** Orchestrator → loader. */
export interface CommandEnvelope {
  readonly kind: 'frontend-command';
  readonly id: number;
  readonly command: LoaderCommand;
}

/** Loader → orchestrator. */
export interface ReplyEnvelope {
  readonly kind: 'frontend-reply';
  readonly id: number;
  readonly reply: LoaderReply;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const COMMAND_KINDS: ReadonlySet<string> = new Set(['connect', 'rr', 'bcast', 'disconnect']);
const RESULT_KINDS: ReadonlySet<string> = new Set(['connect', 'rr', 'bcast', 'disconnect']);

/** A command envelope, or `undefined`; the command's fields are the orchestrator's own (one program). */
export function readCommandEnvelope(value: unknown): CommandEnvelope | undefined {
  if (!isRecord(value) || value.kind !== 'frontend-command' || typeof value.id !== 'number') return undefined;
  const command = value.command;
  if (!isRecord(command) || typeof command.kind !== 'string' || !COMMAND_KINDS.has(command.kind))
    return undefined;
  return value as unknown as CommandEnvelope;
}

/** A reply envelope, or `undefined`. */
export function readReplyEnvelope(value: unknown): ReplyEnvelope | undefined {
  if (!isRecord(value) || value.kind !== 'frontend-reply' || typeof value.id !== 'number') return undefined;
  const reply = value.reply;
  if (!isRecord(reply) || !isRecord(reply.health) || typeof reply.health.problems !== 'number')
    return undefined;
  if (reply.ok === true) {
    const result = reply.result;
    if (!isRecord(result) || typeof result.kind !== 'string' || !RESULT_KINDS.has(result.kind))
      return undefined;
  } else if (reply.ok !== false || typeof reply.error !== 'string') {
    return undefined;
  }
  return value as unknown as ReplyEnvelope;
}

/** NaN travels through JSON as null: the latency summaries are read back here. */
export function reviveLatency(summary: LatencySummary): LatencySummary {
  const number = (value: unknown): number => (typeof value === 'number' ? value : Number.NaN);
  return {
    count: number(summary.count),
    meanNs: number(summary.meanNs),
    minNs: number(summary.minNs),
    p50Ns: number(summary.p50Ns),
    p90Ns: number(summary.p90Ns),
    p99Ns: number(summary.p99Ns),
    p999Ns: number(summary.p999Ns),
    maxNs: number(summary.maxNs),
  };
}
