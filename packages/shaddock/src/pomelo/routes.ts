import { ErrorCode, ShaddockError } from '../errors.js';
import type { RouteFunction, RpcAfterFilter, RpcBeforeFilter, RpcCallTarget } from '../rpc/index.js';
import { isThenable } from './callback.js';
import { runStep } from './components.js';
import { routeMessage } from './rpc.js';
import { type Report, toPomeloSession } from './session.js';

/** Pomelo's route function: `(routeParam, msg, app, cb(err, serverId))`. */
export type PomeloRouteFunction<App = unknown> = (
  routeParam: unknown,
  message: unknown,
  app: App,
  callback: (error: unknown, serverId?: string) => void,
) => unknown;

/** The native route function that asks a Pomelo one (it gets a Pomelo session as its route parameter). */
export function adaptRoute<App>(
  serverType: string,
  route: PomeloRouteFunction<App>,
  app: App,
  report: Report,
): RouteFunction {
  return (routeParam) =>
    new Promise<string>((resolve, reject) => {
      const done = (error: unknown, serverId?: string): void => {
        if (error !== undefined && error !== null) reject(error);
        else if (typeof serverId === 'string') resolve(serverId);
        else
          reject(
            new ShaddockError(ErrorCode.NoServerForRoute, `route for ${serverType} answered no server id`),
          );
      };
      try {
        const returned = route(toPomeloSession(routeParam, report), routeMessage(serverType), app, done);
        if (isThenable(returned))
          returned.then(undefined, (error: unknown) => done(error ?? new Error('route failed')));
      } catch (error) {
        done(error ?? new Error('route failed'));
      }
    });
}

/** Pomelo's RPC filter: `before/after(serverId, msg, opts, next)`, or a bare function (a before filter). */
export interface PomeloRpcFilter {
  before?(serverId: string, message: object, options: object, next: (error?: unknown) => void): unknown;
  after?(serverId: string, message: object, options: object, next: (error?: unknown) => void): unknown;
}

/** What `pomelo.rpcFilters.*()` makes: Shaddock has no such filter, and says so once when it is used. */
export interface UnsupportedRpcFilter {
  readonly unsupported: string;
}

/** `pomelo.rpcFilters`: Pomelo's shipped RPC filters, each reported at start-up and left out. */
export const rpcFilters = {
  rpcLog: (): UnsupportedRpcFilter => ({
    unsupported: 'pomelo.rpcFilters.rpcLog is not supported: set the rpcDebugLog setting to log RPC calls',
  }),
  toobusy: (): UnsupportedRpcFilter => ({
    unsupported: 'pomelo.rpcFilters.toobusy is not supported: RPC calls are not refused for event-loop lag',
  }),
} as const;

/** Pomelo's RPC message, as its RPC filters see it. */
function rpcMessage(target: RpcCallTarget, args: readonly unknown[]): object {
  return {
    namespace: target.namespace,
    serverType: target.serverType,
    service: target.remote,
    method: target.method,
    args,
  };
}

/** The native RPC filter that runs one side (`before` or `after`) of a Pomelo one, or `undefined` if it has none. */
export function adaptRpcFilter(
  filter: PomeloRpcFilter | ((...args: never[]) => unknown),
  side: 'before' | 'after',
): RpcBeforeFilter | RpcAfterFilter | undefined {
  const method = typeof filter === 'function' ? (side === 'before' ? filter : undefined) : filter[side];
  if (typeof method !== 'function') return undefined;
  return (target: RpcCallTarget, args: readonly unknown[]) =>
    runStep(
      method as (...args: unknown[]) => unknown,
      filter,
      [target.serverId, rpcMessage(target, args), {}],
      `rpc ${side} filter`,
    );
}
