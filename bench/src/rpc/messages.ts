/**
 * What the RPC benchmark's processes share: the names of the echo remote, the arguments sent, and
 * the IPC messages between the orchestrator and its child processes.
 */
import type { LatencySummary } from './latency-histogram.js';

/** Everything runs on the loopback interface. */
export const HOST = '127.0.0.1';
export const SERVER_ID = 'echo-server-1';
export const SERVER_TYPE = 'echo';
export const CLIENT_ID = 'bench-client-1';
export const REMOTE = 'echoRemote';
export const METHOD = 'echo';
/** Each call's deadline in both clients, in milliseconds. */
export const CALL_TIMEOUT_MS = 10_000;

/** The size of every argument, in bytes (ASCII, so also in characters). */
export const ARGUMENT_BYTES = 100;
const ARGUMENT_COUNT = 1024; // a power of two

/**
 * 1024 different 100-byte ASCII strings, cycled through by the calls: varied so that no cache of
 * a repeated value flatters either side, and so that a reply delivered to the wrong call shows.
 */
export const ARGUMENTS: readonly string[] = makeArguments();
/** `index & ARGUMENT_MASK` picks an argument. */
export const ARGUMENT_MASK = ARGUMENT_COUNT - 1;

function makeArguments(): string[] {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_';
  let seed = 0x2545f491;
  const list: string[] = [];
  for (let index = 0; index < ARGUMENT_COUNT; index++) {
    let text = `arg-${index}:`;
    while (text.length < ARGUMENT_BYTES) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      text += alphabet[(seed >>> 16) % alphabet.length];
    }
    list.push(text);
  }
  return list;
}

/** What the client counted in one measurement. */
export interface LoadResult {
  readonly inFlight: number;
  /** Calls whose reply equalled their argument. */
  readonly calls: number;
  /** Calls that failed (rejected, timed out, threw). */
  readonly errors: number;
  /** Calls whose reply was not their argument. */
  readonly mismatches: number;
  /** The first error or mismatch, described. */
  readonly firstError: string | null;
  /** From the first call out to the last reply in, in nanoseconds (summed over the slices). */
  readonly elapsedNs: number;
  /** The latency of every correct call. */
  readonly latency: LatencySummary;
}

/** Orchestrator → child. */
export type ParentMessage =
  | {
      readonly kind: 'run';
      readonly inFlight: number;
      readonly durationMs: number;
      /** Starts new totals; otherwise the run adds to the previous ones (a measurement in slices). */
      readonly reset: boolean;
    }
  | { readonly kind: 'stats' }
  | { readonly kind: 'stop' };

/** Child → orchestrator. */
export type ChildMessage =
  | { readonly kind: 'ready'; readonly pid: number }
  | { readonly kind: 'result'; readonly result: LoadResult }
  | { readonly kind: 'stats'; readonly served: number }
  | { readonly kind: 'failed'; readonly message: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** Reads a message from the orchestrator; `undefined` when it is not one. */
export function readParentMessage(value: unknown): ParentMessage | undefined {
  if (!isRecord(value)) return undefined;
  if (value.kind === 'stats') return { kind: 'stats' };
  if (value.kind === 'stop') return { kind: 'stop' };
  if (
    value.kind === 'run' &&
    isCount(value.inFlight) &&
    value.inFlight > 0 &&
    typeof value.durationMs === 'number' &&
    value.durationMs > 0 &&
    typeof value.reset === 'boolean'
  ) {
    return { kind: 'run', inFlight: value.inFlight, durationMs: value.durationMs, reset: value.reset };
  }
  return undefined;
}

const LATENCY_FIELDS = ['meanNs', 'minNs', 'p50Ns', 'p90Ns', 'p99Ns', 'p999Ns', 'maxNs'] as const;

function readLatency(value: unknown): LatencySummary | undefined {
  if (!isRecord(value) || !isCount(value.count)) return undefined;
  const numbers: Record<string, number> = {};
  for (const field of LATENCY_FIELDS) {
    const number = value[field];
    // NaN (no calls) arrives as null through JSON
    if (number === null) numbers[field] = Number.NaN;
    else if (typeof number === 'number') numbers[field] = number;
    else return undefined;
  }
  return {
    count: value.count,
    meanNs: numbers.meanNs ?? Number.NaN,
    minNs: numbers.minNs ?? Number.NaN,
    p50Ns: numbers.p50Ns ?? Number.NaN,
    p90Ns: numbers.p90Ns ?? Number.NaN,
    p99Ns: numbers.p99Ns ?? Number.NaN,
    p999Ns: numbers.p999Ns ?? Number.NaN,
    maxNs: numbers.maxNs ?? Number.NaN,
  };
}

function readLoadResult(value: unknown): LoadResult | undefined {
  if (!isRecord(value)) return undefined;
  const latency = readLatency(value.latency);
  const { inFlight, calls, errors, mismatches, firstError, elapsedNs } = value;
  if (
    latency === undefined ||
    !isCount(inFlight) ||
    !isCount(calls) ||
    !isCount(errors) ||
    !isCount(mismatches) ||
    !(firstError === null || typeof firstError === 'string') ||
    typeof elapsedNs !== 'number'
  ) {
    return undefined;
  }
  return { inFlight, calls, errors, mismatches, firstError, elapsedNs, latency };
}

/** Reads a message from a child; `undefined` when it is not one. */
export function readChildMessage(value: unknown): ChildMessage | undefined {
  if (!isRecord(value)) return undefined;
  switch (value.kind) {
    case 'ready':
      return isCount(value.pid) ? { kind: 'ready', pid: value.pid } : undefined;
    case 'stats':
      return isCount(value.served) ? { kind: 'stats', served: value.served } : undefined;
    case 'failed':
      return typeof value.message === 'string' ? { kind: 'failed', message: value.message } : undefined;
    case 'result': {
      const result = readLoadResult(value.result);
      return result ? { kind: 'result', result } : undefined;
    }
    default:
      return undefined;
  }
}

/** An error, or anything thrown, as one line. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${typeof code === 'string' || typeof code === 'number' ? ` [${code}]` : ''}: ${error.message}`;
  }
  if (isRecord(error) && typeof error.message === 'string') return `error object: ${error.message}`;
  return String(error);
}
