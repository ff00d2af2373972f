import { ErrorCode, RemoteError, ServerUnavailable, ShaddockError } from '../errors.js';

/** `user` remotes are the application's; `sys` remotes are the framework's own (forwarding, sessions, channels). */
export type RpcNamespace = 'user' | 'sys';

/** What a call names: a method of a remote of a server type, in a namespace. */
export interface RpcTarget {
  readonly namespace: RpcNamespace;
  readonly serverType: string;
  readonly remote: string;
  readonly method: string;
}

/**
 * A request frame naming its target, as a msgpack array (no keys on the wire):
 * `[id, namespace, serverType, remote, method, args]`, or with a seventh field `routeId`, which
 * also tells the server to keep this target as `routeId` for the rest of the connection; later
 * calls to it are then `[id, routeId, args]`, which the server reads without decoding the names
 * again. Ids are per connection. A client sends route ids only after the server's {@link HELLO} so that it still
 * talks to a server that predates them.
 */
export type RpcRequest = [
  id: number,
  namespace: RpcNamespace,
  serverType: string,
  remote: string,
  method: string,
  args: unknown[],
  routeId?: number,
];

/** The default bound of one RPC frame, requests and replies: 8 MiB (`rpc.maxFrameLength` in `config/cluster.*`). */
export const DEFAULT_RPC_MAX_FRAME_LENGTH = 8 * 1024 * 1024;

/** The default bound of the replies queued for one peer that does not read them: 64 MiB (`rpc.maxPendingBytes`). */
export const DEFAULT_RPC_MAX_PENDING_BYTES = 64 * 1024 * 1024;

/** The largest route id; a client with more targets names the others in full. */
export const MAX_ROUTE_ID = 0xffff;

/**
 * The server's first frame on every connection: `[0, 3, version]`. No call has id 0, so a
 * client that predates it drops it as the reply to a forgotten call.
 */
export const HELLO = [0, 3, 1] as const;

/** Whether a frame is the server's hello, from a version that takes route ids. */
export function isHello(message: readonly unknown[]): boolean {
  return (
    message[0] === HELLO[0] &&
    message[1] === HELLO[1] &&
    typeof message[2] === 'number' &&
    message[2] >= HELLO[2]
  );
}

/** The second field of a reply frame. */
export const ReplyStatus = {
  /** `[id, 0, result]` */
  Ok: 0,
  /** `[id, 1, message, code]`: the remote threw. */
  RemoteFailed: 1,
  /** `[id, 2, errorCode, message]`: the server refused the call (unknown remote, stopping, bad result). */
  Refused: 2,
} as const;

/** One of {@link ReplyStatus}'s values. */
export type ReplyStatus = (typeof ReplyStatus)[keyof typeof ReplyStatus];

/** Reads a request frame that names its target; `undefined` when the shape is wrong. */
export function readRequest(message: unknown): RpcRequest | undefined {
  if (!Array.isArray(message) || (message.length !== 6 && message.length !== 7)) return undefined;
  if (message.length === 7 && !isRouteId(message[6])) return undefined;
  const namespace: unknown = message[1];
  if (
    typeof message[0] !== 'number' ||
    (namespace !== 'user' && namespace !== 'sys') ||
    typeof message[2] !== 'string' ||
    typeof message[3] !== 'string' ||
    typeof message[4] !== 'string' ||
    !Array.isArray(message[5])
  ) {
    return undefined;
  }
  return message as RpcRequest;
}

/** Whether `value` can be a route id. */
export function isRouteId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_ROUTE_ID;
}

/** The message and the string or numeric `code` of anything thrown. */
export function describeThrown(thrown: unknown): { message: string; code: string | number | undefined } {
  if (thrown instanceof Error) {
    const code: unknown = (thrown as { code?: unknown }).code;
    return {
      message: thrown.message,
      code: typeof code === 'string' || typeof code === 'number' ? code : undefined,
    };
  }
  return { message: String(thrown), code: undefined };
}

/** The reply frame for something a remote threw. */
export function remoteFailure(id: number, thrown: unknown): unknown[] {
  const { message, code } = describeThrown(thrown);
  return code === undefined
    ? [id, ReplyStatus.RemoteFailed, message]
    : [id, ReplyStatus.RemoteFailed, message, code];
}

const knownCodes: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** The error a caller sees for a reply with status `Refused`. */
export function refusalError(serverId: string, code: unknown, message: unknown): Error {
  const text = typeof message === 'string' ? message : 'refused';
  if (code === ErrorCode.ServerUnavailable) return new ServerUnavailable(serverId, text);
  if (typeof code === 'string' && knownCodes.has(code)) return new ShaddockError(code as ErrorCode, text);
  return new ShaddockError(ErrorCode.RpcProtocol, `server ${serverId} refused the call: ${text}`);
}

/** The error a caller sees for a reply with status `RemoteFailed`. */
export function remoteError(serverId: string, message: unknown, code: unknown): RemoteError {
  const remoteCode = typeof code === 'string' || typeof code === 'number' ? code : undefined;
  return new RemoteError(serverId, typeof message === 'string' ? message : String(message), remoteCode);
}

/** `user chat.chatRemote.add`, for messages and logs. */
export function describeTarget(target: RpcTarget): string {
  return `${target.namespace} ${target.serverType}.${target.remote}.${target.method}`;
}
