import type { RouteCodes } from './dictionary.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import type { JsonObject } from './json.js';
import { encodePackage, PackageType } from './package.js';
import type { ParsedProtoDefinitions } from './protobuf/index.js';
import { decodeUtf8, encodeUtf8 } from './utf8.js';

/** The codes a handshake response carries. */
export const HandshakeCode = {
  Ok: 200,
  /** A malformed handshake (no `sys` object, as Pomelo), or the user handshake hook refused it. */
  BadRequest: 500,
  /** `checkClient(type, version)` refused this client. */
  OldClient: 501,
} as const;

/** One of {@link HandshakeCode}'s values, or an application's own code. */
export type HandshakeCode = (typeof HandshakeCode)[keyof typeof HandshakeCode] | (number & {});

/**
 * The protos a handshake carries, in the parsed form Pomelo clients expect (see `toParsedForm`):
 * `client` for what clients send, `server` for what servers send.
 */
export interface HandshakeProtos {
  readonly server: ParsedProtoDefinitions;
  readonly client: ParsedProtoDefinitions;
  readonly version: string;
}

/** What a client sends first. Every Pomelo client's shape is accepted (js-websocket, Unity, libpomelo). */
export interface HandshakeRequest {
  readonly sys: {
    readonly type?: string;
    readonly version?: string;
    readonly dictVersion?: string;
    readonly protoVersion?: string;
    readonly rsa?: JsonObject;
  };
  readonly user?: JsonObject;
}

/** What the server answers. Dictionary and protos are sent only when the client's cached version differs. */
export interface HandshakeResponse {
  readonly code: HandshakeCode;
  readonly sys?: {
    /** Seconds between heartbeats; absent when the server runs none. */
    readonly heartbeat?: number;
    readonly useDict?: boolean;
    readonly dict?: RouteCodes;
    readonly dictVersion?: string;
    readonly useProto?: boolean;
    readonly protos?: HandshakeProtos;
  };
  readonly user?: JsonObject;
}

/** The body of a KICK package. */
export interface KickBody {
  readonly reason: string;
}

/** Encodes a HANDSHAKE package from a client. */
export function encodeHandshakeRequest(request: HandshakeRequest): Uint8Array {
  return encodeJsonPackage(PackageType.Handshake, request);
}

/** Encodes a HANDSHAKE package from a server. */
export function encodeHandshakeResponse(response: HandshakeResponse): Uint8Array {
  return encodeJsonPackage(PackageType.Handshake, response);
}

/** Encodes a KICK package with `{reason}`. */
export function encodeKick(reason: string): Uint8Array {
  return encodeJsonPackage(PackageType.Kick, { reason } satisfies KickBody);
}

/**
 * Decodes a client's HANDSHAKE body. Without `sys` (or with a `sys` that is not an object) it
 * throws: a server answers code 500 and closes, as Pomelo's and Pinus's do (`if (!msg.sys)`).
 */
export function decodeHandshakeRequest(body: Uint8Array): HandshakeRequest {
  const value = parseObject(body, ProtocolErrorCode.InvalidHandshake, 'handshake');
  const sys = value['sys'];
  if (sys === undefined || sys === null) {
    throw new ProtocolError(ProtocolErrorCode.InvalidHandshake, 'a handshake needs a "sys" object');
  }
  const user = value['user'];
  if (!isObject(sys) || (user !== undefined && !isObject(user))) {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidHandshake,
      'a handshake needs object "sys" and "user" fields',
    );
  }
  for (const key of ['type', 'version'] as const) {
    const field = sys[key];
    if (field !== undefined && typeof field !== 'string') {
      throw new ProtocolError(ProtocolErrorCode.InvalidHandshake, `handshake sys.${key} must be a string`);
    }
  }
  const { dictVersion, protoVersion, ...rest } = sys;
  const checked: Record<string, unknown> = { ...rest };
  const dict = cachedVersion(dictVersion, 'dictVersion');
  const proto = cachedVersion(protoVersion, 'protoVersion');
  if (dict !== undefined) checked['dictVersion'] = dict;
  if (proto !== undefined) checked['protoVersion'] = proto;
  const request = { sys: checked } as unknown as HandshakeRequest;
  return user === undefined ? request : { sys: request.sys, user: user as JsonObject };
}

/**
 * A cached version a client sent. Pomelo's JS client starts from the number `0` (nothing cached)
 * and sends the server's string once it has one; numbers other than 0 are read as strings.
 */
function cachedVersion(value: unknown, key: string): string | undefined {
  if (value === undefined || value === null || value === 0 || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new ProtocolError(ProtocolErrorCode.InvalidHandshake, `handshake sys.${key} must be a string`);
}

/** Decodes a server's HANDSHAKE body. */
export function decodeHandshakeResponse(body: Uint8Array): HandshakeResponse {
  const value = parseObject(body, ProtocolErrorCode.InvalidHandshake, 'handshake response');
  if (typeof value['code'] !== 'number') {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidHandshake,
      'a handshake response needs a numeric "code"',
    );
  }
  const sys = value['sys'];
  if (sys !== undefined && !isObject(sys)) {
    throw new ProtocolError(ProtocolErrorCode.InvalidHandshake, 'handshake response "sys" must be an object');
  }
  if (sys !== undefined && sys['heartbeat'] !== undefined && typeof sys['heartbeat'] !== 'number') {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidHandshake,
      'handshake response sys.heartbeat must be a number',
    );
  }
  return value as unknown as HandshakeResponse;
}

/** Decodes a KICK body; a body that is not `{reason}` still kicks, with its text as the reason. */
export function decodeKick(body: Uint8Array): KickBody {
  const text = decodeUtf8(body);
  try {
    const value: unknown = JSON.parse(text);
    if (isObject(value) && typeof value['reason'] === 'string') return { reason: value['reason'] };
  } catch {
    // Older servers sent the reason as bare text.
  }
  return { reason: text };
}

function encodeJsonPackage(type: PackageType, value: object): Uint8Array {
  return encodePackage(type, encodeUtf8(JSON.stringify(value)));
}

function parseObject(body: Uint8Array, code: ProtocolErrorCode, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(decodeUtf8(body));
  } catch (cause) {
    throw new ProtocolError(code, `a ${what} is not valid JSON`, { cause });
  }
  if (!isObject(value)) throw new ProtocolError(code, `a ${what} must be a JSON object`);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
