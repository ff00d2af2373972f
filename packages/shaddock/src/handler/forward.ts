import type { JsonObject } from '@shaddock/protocol';
import {
  ErrorCode,
  NoServerForRoute,
  RemoteError,
  RequestError,
  ResponseCode,
  RpcTimeout,
} from '../errors.js';
import type { Kernel } from '../kernel/index.js';
import { MASTER_TYPE } from '../membership/index.js';
import type { RpcTarget } from '../rpc/index.js';
import type { HandlerSession } from '../session/index.js';
import { messageOf, unknownRoute } from './error-body.js';
import type { MessageContext } from './message-context.js';
import type { ForwardedMessage, ForwardedResponse } from './message-remote.js';

/** A message on its way to a backend: what `forwardToBackend` reads of it. */
export interface ForwardedClientMessage {
  readonly id: number;
  readonly route: string;
  readonly body: JsonObject;
}

/**
 * Runs a message on a server of its route's type: picks the server with the type's route function
 * (`app.route`, else the consistent hash of the session's uid), calls its
 * `sys.<type>.messageRemote.forwardMessage` with the message and the session's snapshot, and
 * answers the backend's response. A failed backend answer marks `context` failed (its error
 * handlers already ran there); no server, or a lost one, throws a `RequestError` (502, 504, 404).
 */
export async function forwardMessage(app: Kernel, context: MessageContext): Promise<JsonObject | undefined> {
  const { response, error } = await forwardToBackend(app, context.serverType, context, context.session);
  if (error !== undefined) {
    context.error = backendFailure(error);
    context.failed = true;
  }
  return response;
}

/** What the frontend's error handlers see for a message that failed on its backend. */
export function backendFailure(error: NonNullable<ForwardedResponse['error']>): RequestError {
  return new RequestError(ErrorCode.HandlerFailed, error.code, error.message);
}

/**
 * {@link forwardMessage} without a context: the backend's reply as it came (`error` set when the
 * message failed there). Throws the `RequestError` for no server, a lost one, or a timeout.
 */
export async function forwardToBackend(
  app: Kernel,
  serverType: string,
  message: ForwardedClientMessage,
  session: HandlerSession,
): Promise<ForwardedResponse> {
  if (serverType === MASTER_TYPE) throw unknownRoute(message.route);
  let reply: unknown;
  try {
    const rpc = app.services.get('rpcClient');
    const chosen = rpc.route(serverType, session);
    const serverId = typeof chosen === 'string' ? chosen : await chosen;
    const forwarded: ForwardedMessage = { id: message.id, route: message.route, body: message.body };
    reply = await rpc.invoke(serverId, forwardTarget(serverType), [forwarded, session.export()]);
  } catch (error) {
    throw forwardError(app, serverType, message.route, error);
  }
  return readReply(reply);
}

// One target object per server type: the RPC client may cache what it derives from a target.
const targets = new Map<string, RpcTarget>();

function forwardTarget(serverType: string): RpcTarget {
  let target = targets.get(serverType);
  if (target === undefined) {
    target = { namespace: 'sys', serverType, remote: 'messageRemote', method: 'forwardMessage' };
    targets.set(serverType, target);
  }
  return target;
}

function forwardError(app: Kernel, serverType: string, route: string, error: unknown): RequestError {
  if (error instanceof NoServerForRoute && !isKnownType(app, serverType)) return unknownRoute(route);
  if (error instanceof RpcTimeout) {
    return new RequestError(
      ErrorCode.RequestTimeout,
      ResponseCode.Timeout,
      `${route}: the ${serverType} server did not answer in time`,
      { cause: error },
    );
  }
  if (error instanceof RemoteError) {
    return new RequestError(
      ErrorCode.HandlerFailed,
      ResponseCode.HandlerError,
      `${route}: ${messageOf(error)}`,
      { cause: error },
    );
  }
  return new RequestError(
    ErrorCode.ForwardFailed,
    ResponseCode.ServerUnavailable,
    `${route}: no ${serverType} server can take it (${messageOf(error)})`,
    { cause: error },
  );
}

function isKnownType(app: Kernel, serverType: string): boolean {
  return (
    app.getServersByType(serverType).length > 0 ||
    app.getServersFromConfig().some((server) => server.serverType === serverType)
  );
}

function readReply(reply: unknown): ForwardedResponse {
  if (typeof reply === 'object' && reply !== null) {
    const { response, error } = reply as { response?: unknown; error?: unknown };
    const body = response === null || response === undefined ? undefined : response;
    if (body === undefined || (typeof body === 'object' && !Array.isArray(body))) {
      const failure = readFailure(error);
      const answer = { response: body as JsonObject | undefined };
      return failure === undefined ? answer : { ...answer, error: failure };
    }
  }
  throw new RequestError(
    ErrorCode.ForwardFailed,
    ResponseCode.ServerUnavailable,
    'the backend sent a malformed reply',
  );
}

function readFailure(error: unknown): ForwardedResponse['error'] {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return {
    code: typeof code === 'number' ? code : ResponseCode.HandlerError,
    message: typeof message === 'string' ? message : 'the request failed',
  };
}
