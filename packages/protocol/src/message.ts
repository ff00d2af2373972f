import { allocate } from './allocate.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import {
  MAX_PACKAGE_BODY_LENGTH,
  PACKAGE_HEADER_LENGTH,
  PackageType,
  writePackageHeader,
} from './package.js';
import { decodeUtf8, encodeUtf8 } from './utf8.js';

/**
 * The message layer, the body of a DATA package:
 * `[flag: 1 byte][id: base-128 varint, request and response only][route][body]`.
 * The flag holds the route-compressed bit (bit 0), the message type (bits 1–3) and the gzip bit (bit 4).
 */
export const MessageType = {
  Request: 0,
  Notify: 1,
  Response: 2,
  Push: 3,
} as const;

/** One of {@link MessageType}'s values. */
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** The largest message id: ids are positive 31-bit integers (0 only for messages without an id). */
export const MAX_MESSAGE_ID = 0x7fffffff;

/** The largest route code a compressed route can carry. */
export const MAX_ROUTE_CODE = 0xffff;

/** The longest uncompressed route, in UTF-8 bytes. */
export const MAX_ROUTE_LENGTH = 255;

/** A message as it is on the wire: the route is a string, or a dictionary code when compressed. */
export interface WireMessage {
  readonly type: MessageType;
  /** The request id; 0 for notify and push. */
  readonly id: number;
  /** The route code when the route is compressed, else the route string ('' for a response). */
  readonly route: string | number;
  /** Carried as Pomelo does: a flag only, never acted on. */
  readonly compressGzip: boolean;
  /** The encoded body (JSON text or protobuf); a view into the decoded bytes. */
  readonly body: Uint8Array;
}

/** What {@link decodeMessage} accepts; by default every type. */
export interface MessageDecodeOptions {
  /** The message types this side may receive; others are a `ForbiddenMessageType` error. */
  readonly accept?: readonly MessageType[];
}

const FLAG_COMPRESS_ROUTE = 0x1;
const FLAG_GZIP = 0x10;
const MAX_ID_BYTES = 5;

/**
 * Encodes a message straight into a DATA package (header included), in one buffer.
 * `body` is the already-encoded body.
 */
export function encodeMessagePackage(message: WireMessage): Uint8Array {
  const { type, route } = message;
  const routeBytes = type === MessageType.Response || typeof route === 'number' ? route : encodeRoute(route);
  return encodeMessageParts(type, message.id, routeBytes, message.body, message.compressGzip);
}

/** The UTF-8 bytes of an uncompressed route, checked against the 255-byte limit. */
export function encodeRoute(route: string): Uint8Array {
  const bytes = encodeUtf8(route);
  if (bytes.length > MAX_ROUTE_LENGTH) {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidRoute,
      `a route of ${bytes.length} UTF-8 bytes is over ${MAX_ROUTE_LENGTH}`,
    );
  }
  return bytes;
}

/**
 * The encoder behind every DATA package: `route` is a code, or the route's UTF-8 bytes from
 * {@link encodeRoute} (callers cache them). Ignored for responses.
 */
export function encodeMessageParts(
  type: MessageType,
  id: number,
  route: number | string | Uint8Array,
  body: Uint8Array,
  compressGzip: boolean,
): Uint8Array {
  if (!(type >= MessageType.Request && type <= MessageType.Push)) {
    throw new ProtocolError(ProtocolErrorCode.UnknownMessageType, `unknown message type ${String(type)}`);
  }
  const hasId = type === MessageType.Request || type === MessageType.Response;
  const hasRoute = type !== MessageType.Response;
  const compressed = hasRoute && typeof route === 'number';
  const idLength = hasId ? varintLength(checkedId(id)) : 0;
  let routeLength = 0;
  if (compressed) routeLength = 2;
  else if (hasRoute) routeLength = 1 + (route as Uint8Array).length;
  const messageLength = 1 + idLength + routeLength + body.length;
  if (messageLength > MAX_PACKAGE_BODY_LENGTH) {
    throw new ProtocolError(
      ProtocolErrorCode.PackageTooLarge,
      `a message of ${messageLength} bytes exceeds the protocol's limit`,
    );
  }
  const bytes = allocate(PACKAGE_HEADER_LENGTH + messageLength);
  writePackageHeader(bytes, 0, PackageType.Data, messageLength);
  let offset = PACKAGE_HEADER_LENGTH;
  bytes[offset++] = (type << 1) | (compressed ? FLAG_COMPRESS_ROUTE : 0) | (compressGzip ? FLAG_GZIP : 0);
  if (hasId) offset = writeVarint(bytes, offset, id);
  if (compressed) offset = writeRouteCode(bytes, offset, route as number);
  else if (hasRoute) {
    const routeBytes = route as Uint8Array;
    bytes[offset++] = routeBytes.length;
    bytes.set(routeBytes, offset);
    offset += routeBytes.length;
  }
  bytes.set(body, offset);
  return bytes;
}

/** Decodes the body of a DATA package. Every malformed input is a {@link ProtocolError}. */
export function decodeMessage(bytes: Uint8Array, options?: MessageDecodeOptions): WireMessage {
  if (bytes.length === 0) throw truncated('an empty message has no flag byte');
  const flag = bytes[0] ?? 0;
  const type = (flag >> 1) & 0x7;
  if (type > MessageType.Push) {
    throw new ProtocolError(ProtocolErrorCode.UnknownMessageType, `unknown message type ${type}`);
  }
  if (options?.accept && !options.accept.includes(type as MessageType)) {
    throw new ProtocolError(
      ProtocolErrorCode.ForbiddenMessageType,
      `message type ${type} is not accepted here`,
    );
  }
  let offset = 1;
  let id = 0;
  if (type === MessageType.Request || type === MessageType.Response) {
    const end = Math.min(bytes.length, 1 + MAX_ID_BYTES);
    let shift = 1;
    for (;;) {
      if (offset >= end) {
        throw new ProtocolError(ProtocolErrorCode.InvalidMessageId, 'a message id varint does not end');
      }
      const byte = bytes[offset++] ?? 0;
      id += (byte & 0x7f) * shift;
      shift *= 128;
      if (byte < 0x80) break;
    }
    if (id > MAX_MESSAGE_ID) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidMessageId,
        `message id ${id} is over ${MAX_MESSAGE_ID}`,
      );
    }
  }
  let route: string | number = '';
  if (type !== MessageType.Response) {
    if (flag & FLAG_COMPRESS_ROUTE) {
      if (bytes.length - offset < 2) throw truncated('a message ends inside its route code');
      route = ((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0);
      offset += 2;
    } else {
      if (offset >= bytes.length) throw truncated('a message ends before its route length');
      const length = bytes[offset++] ?? 0;
      if (bytes.length - offset < length) {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidRoute,
          `a route length of ${length} runs past the message`,
        );
      }
      route = length === 0 ? '' : decodeUtf8(bytes.subarray(offset, offset + length));
      offset += length;
    }
  }
  return {
    type: type as MessageType,
    id,
    route,
    compressGzip: (flag & FLAG_GZIP) !== 0,
    body: bytes.subarray(offset),
  };
}

function checkedId(id: number): number {
  if (!Number.isInteger(id) || id < 0 || id > MAX_MESSAGE_ID) {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidMessageId,
      `message id ${id} is not an integer from 0 to 2^31-1`,
    );
  }
  return id;
}

function varintLength(value: number): number {
  let length = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    length++;
  }
  return length;
}

function writeVarint(target: Uint8Array, offset: number, value: number): number {
  while (value >= 128) {
    target[offset++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  target[offset++] = value;
  return offset;
}

function writeRouteCode(target: Uint8Array, offset: number, code: number): number {
  if (!Number.isInteger(code) || code < 0 || code > MAX_ROUTE_CODE) {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidRoute,
      `route code ${code} is not from 0 to ${MAX_ROUTE_CODE}`,
    );
  }
  target[offset] = code >> 8;
  target[offset + 1] = code & 0xff;
  return offset + 2;
}

function truncated(message: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.TruncatedMessage, message);
}
