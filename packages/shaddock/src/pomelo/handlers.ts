import type { JsonObject } from '@shaddock/protocol';
import type { HandlerMethod } from '../handler/index.js';
import { loadRemotes, type ServerFolderLoader } from '../rpc/index.js';
import type { HandlerSession } from '../session/index.js';
import { isThenable, methodNames } from './callback.js';
import { withRoute } from './filters.js';
import { adaptRemote } from './rpc.js';
import { type Report, toPomeloSession } from './session.js';

/** A failure a Pomelo handler passed to `next` together with a response (`next(err, resp)`). */
interface FailureWithResponse {
  response?: JsonObject;
}

/**
 * One Pomelo handler method `(msg, session, next(err, resp))` as the native pipeline calls it:
 * `(msg, session) => Promise<resp>`. `msg.__route__` is set as Pomelo does. `next(err)` fails the
 * message (the error handlers see it); `next(err, resp)` without an `errorHandler` answers `resp`
 * with `code` 500 unless it has one, as Pomelo's connector does. A method that returns a promise
 * and never calls `next` answers its value.
 */
function adaptMethod(
  handler: object,
  method: (...args: unknown[]) => unknown,
  route: string,
  hasErrorHandler: () => boolean,
  report: Report,
): HandlerMethod {
  return (message: JsonObject, session: HandlerSession) =>
    new Promise<JsonObject | undefined>((resolve, reject) => {
      let done = false;
      const next = (error?: unknown, response?: JsonObject): void => {
        if (done) return;
        done = true;
        if (error === undefined || error === null) {
          resolve(response ?? undefined);
        } else if (typeof response === 'object' && response !== null && !hasErrorHandler()) {
          resolve('code' in response ? response : { code: 500, ...response });
        } else {
          if (typeof error === 'object' && typeof response === 'object' && response !== null) {
            (error as FailureWithResponse).response = response;
          }
          reject(error);
        }
      };
      withRoute(message, route);
      try {
        const returned = method.call(handler, message, toPomeloSession(session, report), next);
        if (isThenable(returned)) {
          returned.then(
            (value) => {
              if (!done && value !== undefined) next(null, value as JsonObject);
            },
            (error: unknown) => next(error ?? new Error(`${route} failed`)),
          );
        }
      } catch (error) {
        if (done) report(error);
        else next(error ?? new Error(`${route} failed`));
      }
    });
}

/** A Pomelo handler object with every method adapted (see {@link adaptMethod}). */
export function adaptHandler(
  handler: object,
  route: string,
  hasErrorHandler: () => boolean,
  report: Report,
): Record<string, HandlerMethod> {
  const adapted: Record<string, HandlerMethod> = {};
  for (const name of methodNames(handler)) {
    const method = (handler as Record<string, (...args: unknown[]) => unknown>)[name] as (
      ...args: unknown[]
    ) => unknown;
    adapted[name] = adaptMethod(handler, method, `${route}.${name}`, hasErrorHandler, report);
  }
  return adapted;
}

/** What the folder loader needs: the Pomelo app (the factories' argument) and where this server is. */
export interface FolderHost {
  readonly context: object;
  readonly serverType: string;
  hasErrorHandler(): boolean;
  readonly report: Report;
}

/**
 * The `serverFolderLoader` of a Pomelo app: the handler and remote files load as the native
 * loader loads them (CommonJS `module.exports = function (app) { return new Handler(app) }`
 * included), with the Pomelo app as the factories' argument, and every method is adapted to the
 * callback style.
 */
export function pomeloFolderLoader(host: FolderHost): ServerFolderLoader {
  return async (folder, kind) => {
    const loaded = await loadRemotes(folder, { context: host.context });
    const adapted = new Map<string, object>();
    for (const [name, instance] of loaded) {
      adapted.set(
        name,
        kind === 'handler'
          ? adaptHandler(instance, `${host.serverType}.${name}`, () => host.hasErrorHandler(), host.report)
          : adaptRemote(instance, name, host.report),
      );
    }
    return adapted;
  };
}
