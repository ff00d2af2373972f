import type { JsonObject } from '@shaddock/protocol';
import { ErrorCode, ShaddockError } from '../errors.js';
import type { ServerInfo } from '../membership/index.js';
import { cachingProxy, type RpcClient, type RpcNamespace, type RpcTarget } from '../rpc/index.js';
import { type Callback, isThenable, methodNames, splitCallback } from './callback.js';
import { type Report, toPomeloSession } from './session.js';

/**
 * What a Pomelo remote's callback was called with, as it travels back to the caller: the caller's
 * callback is applied to the same arguments. A remote written for the native API answers a plain
 * value instead, which the caller gets as `cb(null, value)`.
 */
const CALLBACK_ARGUMENTS = '__pomeloCallback__';

/** What the callback RPC proxy needs of the application. */
export interface RpcHost {
  readonly rpcClient: RpcClient;
  getServersByType(serverType: string): readonly ServerInfo[];
  getServerById(id: string): ServerInfo | undefined;
  readonly report: Report;
}

/** `app.rpc.<type>.<remote>.<method>(routeParam, …args, cb)` with `.toServer(id | '*', …args, cb)`. */
export type PomeloRpcMethod = ((...args: unknown[]) => void) & {
  toServer(serverId: string, ...args: unknown[]): void;
  broadcast(...args: unknown[]): void;
};

/**
 * Turns a remote's outcome into its caller's callback arguments: a Pomelo remote's own callback
 * arguments, else `(null, value)`.
 */
export function callbackArguments(value: unknown): unknown[] {
  if (typeof value === 'object' && value !== null && CALLBACK_ARGUMENTS in value) {
    const list = (value as Record<string, unknown>)[CALLBACK_ARGUMENTS];
    if (Array.isArray(list)) return list;
  }
  return [null, value];
}

/**
 * A Pomelo remote as the native RPC server calls it: each method `(…args, cb)` becomes
 * `(…args) => Promise`, resolved with what the remote passed its callback. A remote that answers
 * an `Error` first rejects with it (the caller's callback gets a `RemoteError`); one that returns
 * a promise without calling back answers its value.
 */
export function adaptRemote(remote: object, name: string, report: Report): object {
  const adapted: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const method of methodNames(remote)) {
    const original = (remote as Record<string, (...args: unknown[]) => unknown>)[method] as (
      ...args: unknown[]
    ) => unknown;
    adapted[method] = (...args: unknown[]) =>
      new Promise((resolve, reject) => {
        let answered = false;
        const callback = (...results: unknown[]): void => {
          if (answered) {
            report(new ShaddockError(ErrorCode.RemoteInvalid, `remote ${name}.${method} called back twice`));
            return;
          }
          answered = true;
          if (results[0] instanceof Error) reject(results[0]);
          else
            resolve({
              [CALLBACK_ARGUMENTS]: results.map((result) => (result === undefined ? null : result)),
            });
        };
        try {
          const returned = original.apply(remote, [...args, callback]);
          if (isThenable(returned)) {
            returned.then(
              (value) => {
                if (!answered && value !== undefined) {
                  answered = true;
                  resolve(value);
                }
              },
              (error: unknown) => {
                if (!answered) {
                  answered = true;
                  reject(error);
                }
              },
            );
          }
        } catch (error) {
          if (!answered) {
            answered = true;
            reject(error);
          } else report(error);
        }
      });
  }
  return adapted;
}

/** Calls `callback` with a call's outcome, Pomelo's way; without one a failure is reported. */
function answer(call: Promise<unknown>, callback: Callback | undefined, report: Report): void {
  call.then(
    (value) => {
      try {
        callback?.(...callbackArguments(value));
      } catch (error) {
        report(error);
      }
    },
    (error: unknown) => {
      if (callback === undefined) report(error);
      else {
        try {
          callback(error);
        } catch (thrown) {
          report(thrown);
        }
      }
    },
  );
}

/** Calls every server of a type (`toServer('*')`): `cb(err)` when one failed, else `cb(null, results)`. */
function everyServer(host: RpcHost, target: RpcTarget, args: unknown[]): Promise<unknown> {
  const servers = host.getServersByType(target.serverType);
  return Promise.all(servers.map((server) => host.rpcClient.invoke(server.id, target, args))).then(
    (results) => ({
      [CALLBACK_ARGUMENTS]: [null, results.map((result) => callbackArguments(result)[1] ?? null)],
    }),
  );
}

function makeMethod(host: RpcHost, target: RpcTarget): PomeloRpcMethod {
  const method = (...given: unknown[]): void => {
    const { args, callback } = splitCallback(given);
    const [routeParam, ...rest] = args;
    let call: Promise<unknown>;
    try {
      call = host.rpcClient.invokeRoute(target, toPomeloSession(routeParam, host.report), rest);
    } catch (error) {
      call = Promise.reject(error);
    }
    answer(call, callback, host.report);
  };
  return Object.assign(method, {
    toServer(serverId: string, ...given: unknown[]): void {
      const { args, callback } = splitCallback(given);
      let call: Promise<unknown>;
      try {
        call =
          serverId === '*' ? everyServer(host, target, args) : host.rpcClient.invoke(serverId, target, args);
      } catch (error) {
        call = Promise.reject(error);
      }
      answer(call, callback, host.report);
    },
    broadcast(...given: unknown[]): void {
      const { args, callback } = splitCallback(given);
      answer(everyServer(host, target, args), callback, host.report);
    },
  });
}

/** Pomelo's `app.rpc` (or `app.sysrpc` with `'sys'`): callback-last calls. */
export function createCallbackRpc(
  host: RpcHost,
  namespace: RpcNamespace = 'user',
): Record<string, Record<string, Record<string, PomeloRpcMethod>>> {
  return cachingProxy((serverType) =>
    cachingProxy((remote) =>
      cachingProxy((method) => makeMethod(host, { namespace, serverType, remote, method })),
    ),
  );
}

/** Pomelo's RPC message for `app.rpcInvoke`. */
export interface RpcInvokeMessage {
  readonly namespace?: RpcNamespace;
  readonly serverType?: string;
  readonly service: string;
  readonly method: string;
  readonly args?: unknown[];
}

/** `app.rpcInvoke(serverId, { namespace, service, method, args }, cb)`. */
export function rpcInvoke(
  host: RpcHost,
  serverId: string,
  message: RpcInvokeMessage,
  callback?: Callback,
): void {
  let call: Promise<unknown>;
  try {
    const serverType = message.serverType ?? host.getServerById(serverId)?.serverType;
    if (serverType === undefined) {
      throw new ShaddockError(
        ErrorCode.ServerUnavailable,
        `rpcInvoke: server ${serverId} is not in the cluster`,
      );
    }
    const target: RpcTarget = {
      namespace: message.namespace ?? 'user',
      serverType,
      remote: message.service,
      method: message.method,
    };
    call = host.rpcClient.invoke(serverId, target, message.args ?? []);
  } catch (error) {
    call = Promise.reject(error);
  }
  answer(call, callback, host.report);
}

/** The `msg` a Pomelo route function gets: what is known of the call being routed. */
export function routeMessage(serverType: string): JsonObject {
  return { namespace: 'user', serverType };
}
