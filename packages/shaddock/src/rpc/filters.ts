import { getLogger, type Logger } from '../logging/index.js';
import type { RpcTarget } from './protocol.js';

/** A call as filters and logs see it: its target and the server chosen for it. */
export interface RpcCallTarget extends RpcTarget {
  readonly serverId: string;
}

/** How a call ended. */
export type RpcOutcome =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: Error };

/**
 * Runs before a call leaves. It may check or change `args` in place; throwing (or rejecting)
 * fails the call with that error without sending it.
 */
export type RpcBeforeFilter = (target: RpcCallTarget, args: unknown[]) => void | Promise<void>;

/** Runs after a call ended, with its outcome. It cannot change the outcome; what it throws is logged. */
export type RpcAfterFilter = (
  target: RpcCallTarget,
  args: readonly unknown[],
  outcome: RpcOutcome,
) => void | Promise<void>;

/** The filter lists, read at each call, so the application may add to them at any time. */
export interface RpcFilters {
  readonly before: readonly RpcBeforeFilter[];
  readonly after: readonly RpcAfterFilter[];
}

function toError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}

/** One debug line: target, server, duration, outcome. */
export function describeCall(target: RpcCallTarget, milliseconds: number, outcome: RpcOutcome): string {
  const head = `rpc ${target.namespace} ${target.serverType}.${target.remote}.${target.method} -> ${target.serverId}`;
  const took = `${milliseconds.toFixed(3)} ms`;
  if (outcome.ok) return `${head} ok in ${took}`;
  const code = (outcome.error as { code?: unknown }).code;
  return `${head} failed in ${took}: ${code === undefined ? '' : `${String(code)} `}${outcome.error.message}`;
}

/**
 * Runs a call through the before filters, the call itself, the after filters and the debug log.
 * Only used when there is a filter or the log is on: the plain path stays free of it.
 */
export async function runFiltered(
  target: RpcCallTarget,
  args: unknown[],
  filters: RpcFilters | undefined,
  logger: Logger | undefined,
  debugLog: boolean,
  call: () => Promise<unknown>,
): Promise<unknown> {
  const started = performance.now();
  let outcome: RpcOutcome;
  try {
    if (filters) for (const before of filters.before) await before(target, args);
    outcome = { ok: true, result: await call() };
  } catch (error) {
    outcome = { ok: false, error: toError(error) };
  }
  if (filters) {
    for (const after of filters.after) {
      try {
        await after(target, args, outcome);
      } catch (error) {
        (logger ?? getLogger('rpc')).error(
          { err: toError(error) },
          `rpc after filter failed for ${target.remote}.${target.method}`,
        );
      }
    }
  }
  // the debug log is a setting (`rpcDebugLog`): when it is on, its lines are wanted at any level
  if (debugLog) (logger ?? getLogger('rpc')).info(describeCall(target, performance.now() - started, outcome));
  if (outcome.ok) return outcome.result;
  throw outcome.error;
}
