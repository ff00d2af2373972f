import type { JsonObject } from '@shaddock/protocol';
import {
  ErrorCode,
  FrameTooLarge,
  NoServerForRoute,
  RemoteError,
  RequestError,
  ResponseCode,
  RpcTimeout,
  ShaddockError,
} from '../errors.js';
import type { Kernel } from '../kernel/index.js';
import { MASTER_TYPE } from '../membership/index.js';
import type { RpcTarget } from '../rpc/index.js';
import type { HandlerSession } from '../session/index.js';
import type { ClientMessage } from './client-message.js';
import { messageOf, unknownRoute } from './error-body.js';
import { BackendFailure } from './failure.js';
import type { MessageContext } from './message-context.js';
import type { ForwardedResponse } from './message-remote.js';

/**
 * Runs a message on a server of `serverType`: picks the server with the type's route function
 * (`app.route`, else the consistent hash of the session's uid), calls its
 * `sys.<type>.messageRemote.forwardMessage` with the message and the session's snapshot, and
 * answers the backend's response. A message that failed there (its error handlers ran and its
 * failure was logged there) is a {@link BackendFailure}: with a `context` (filters run around the
 * forward) it marks the context failed and answers the backend's body, as a failed handler here
 * answers its error body to the filters around it; without one it rejects with it. No server, or a
 * lost one, rejects with a `RequestError` (502, 504, 404); a body the RPC layer cannot carry
 * (nested deeper than {@link FORWARD_MAX_DEPTH}, or a frame over the cluster's `rpc.maxFrameLength`)
 * with a 400, the client's error.
 */
export async function forwardMessage(
  app: Kernel,
  serverType: string,
  message: ClientMessage,
  session: HandlerSession,
  context: MessageContext | undefined,
): Promise<JsonObject | undefined> {
  if (serverType === MASTER_TYPE) throw unknownRoute(message.route);
  let reply: unknown;
  try {
    const rpc = app.services.get('rpcClient');
    const chosen = rpc.route(serverType, session);
    const serverId = typeof chosen === 'string' ? chosen : await chosen;
    // only the three fields cross: the connector's message object may carry more
    const forwarded: ClientMessage = { id: message.id, route: message.route, body: message.body };
    reply = await rpc.invoke(serverId, forwardTarget(serverType), [forwarded, session.export()]);
  } catch (error) {
    throw forwardError(app, serverType, message, error);
  }
  const { response, error } = readReply(reply);
  if (error === undefined) return response;
  const failure = new BackendFailure(error.code, error.message, response);
  if (context === undefined) throw failure;
  context.error = failure;
  context.failed = true;
  return response;
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

/**
 * Nesting a forwarded body may reach: far below what the RPC encoder's stack takes (about 1,300
 * levels), so that a body refused by the encoder is always past it, and well above any real body.
 */
export const FORWARD_MAX_DEPTH = 512;

function forwardError(app: Kernel, serverType: string, message: ClientMessage, error: unknown): RequestError {
  const route = message.route;
  if (error instanceof NoServerForRoute && !isKnownType(app, serverType)) return unknownRoute(route);
  // Checked only once the RPC layer refused the call: the request path never walks or measures a
  // body (the sender knows a frame's size once it is encoded, and refuses it there, unsent).
  const tooLarge = frameTooLarge(error);
  if (tooLarge !== undefined) {
    return new RequestError(
      ErrorCode.BodyNotForwardable,
      ResponseCode.BadRequest,
      `${route}: the body cannot be forwarded: its RPC frame of ${tooLarge.frameLength} bytes is over the cluster's limit of ${tooLarge.maxFrameLength} (rpc.maxFrameLength)`,
      { cause: error },
    );
  }
  if (
    error instanceof ShaddockError &&
    error.code === ErrorCode.RpcProtocol &&
    nestedDeeperThan(message.body, FORWARD_MAX_DEPTH)
  ) {
    return new RequestError(
      ErrorCode.BodyNotForwardable,
      ResponseCode.BadRequest,
      `${route}: the body is nested deeper than ${FORWARD_MAX_DEPTH} levels and cannot be forwarded`,
      { cause: error },
    );
  }
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

/** The sender's refusal of an oversize frame behind `error` (the RPC client wraps it), if that is what it is. */
function frameTooLarge(error: unknown): FrameTooLarge | undefined {
  if (error instanceof FrameTooLarge) return error;
  if (error instanceof ShaddockError && error.cause instanceof FrameTooLarge) return error.cause;
  return undefined;
}

/** Whether objects and arrays nest deeper than `limit` in `value`; walked without recursion, stopping at the first such path. */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<readonly [unknown, number]> = [[value, 0]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [node, depth] = item;
    if (typeof node !== 'object' || node === null) continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
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
