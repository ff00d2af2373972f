import type { RouteDictionary } from './dictionary.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from './json.js';
import {
  decodeMessage,
  encodeMessageParts,
  encodeRoute,
  type MessageDecodeOptions,
  MessageType,
} from './message.js';
import type { ProtobufCodec } from './protobuf/index.js';
import { decodeUtf8 } from './utf8.js';

/** A message with its route resolved and its body decoded. */
export interface DecodedMessage<Body extends JsonValue = JsonValue> {
  readonly type: MessageType;
  /** The request id; 0 for notify and push. */
  readonly id: number;
  readonly route: string;
  /**
   * What a client sends may be any JSON value, as Pomelo's server accepts it (Pomelo's own web
   * client sends a string when given one); what a server sends is an object.
   */
  readonly body: Body;
}

/** What a {@link MessageCodec} knows of the session's routes and bodies, all optional. */
export interface MessageCodecOptions {
  /** Routes compressed to codes; messages to routes it holds travel as 2-byte codes. */
  readonly dictionary?: RouteDictionary | undefined;
  /** Protos of what servers send: responses and pushes. */
  readonly serverProtos?: ProtobufCodec | undefined;
  /** Protos of what clients send: requests and notifies. */
  readonly clientProtos?: ProtobufCodec | undefined;
}

const MAX_CACHED_ROUTES = 4096;
const FROM_CLIENT: MessageDecodeOptions = { accept: [MessageType.Request, MessageType.Notify] };
const FROM_SERVER: MessageDecodeOptions = { accept: [MessageType.Response, MessageType.Push] };

/**
 * The one codec for DATA packages, on both sides of a connection: route compression through the
 * dictionary, bodies as protobuf where a proto exists for the route and JSON otherwise.
 * Encoders return a whole package (header included) ready to write.
 */
export class MessageCodec {
  readonly #dictionary: RouteDictionary | undefined;
  readonly #serverProtos: ProtobufCodec | undefined;
  readonly #clientProtos: ProtobufCodec | undefined;
  /** Each route's wire form: its code, or its UTF-8 bytes; routes repeat, so encode each once. */
  readonly #wireRoutes = new Map<string, number | Uint8Array>();

  constructor(options: MessageCodecOptions = {}) {
    this.#dictionary = options.dictionary;
    this.#serverProtos = options.serverProtos;
    this.#clientProtos = options.clientProtos;
  }

  /** A client's request package. */
  encodeRequest(id: number, route: string, body: JsonObject): Uint8Array {
    return this.#encode(MessageType.Request, id, route, encodeBody(this.#clientProtos, route, body));
  }

  /** A client's notify package. */
  encodeNotify(route: string, body: JsonObject): Uint8Array {
    return this.#encode(MessageType.Notify, 0, route, encodeBody(this.#clientProtos, route, body));
  }

  /** A server's response package; `route` is the request's, used to pick the response proto. */
  encodeResponse(id: number, route: string, body: JsonObject): Uint8Array {
    return encodeMessageParts(
      MessageType.Response,
      id,
      0,
      encodeBody(this.#serverProtos, route, body),
      false,
    );
  }

  /** A server's push package: encode it once, write the same bytes to every receiver. */
  encodePush(route: string, body: JsonObject): Uint8Array {
    return this.#encode(MessageType.Push, 0, route, encodeBody(this.#serverProtos, route, body));
  }

  /** Decodes what a client sent; only requests and notifies are accepted. */
  decodeFromClient(bytes: Uint8Array): DecodedMessage {
    const message = decodeMessage(bytes, FROM_CLIENT);
    const route = this.#routeOf(message.route);
    return {
      type: message.type,
      id: message.id,
      route,
      body: decodeBody(this.#clientProtos, route, message.body),
    };
  }

  /**
   * Decodes what a server sent; only responses and pushes are accepted. A response carries no
   * route, so `routeOfRequest` gives the route of the pending request with that id, if any.
   */
  decodeFromServer(
    bytes: Uint8Array,
    routeOfRequest: (id: number) => string | undefined,
  ): DecodedMessage<JsonObject> {
    const message = decodeMessage(bytes, FROM_SERVER);
    const route =
      message.type === MessageType.Response
        ? (routeOfRequest(message.id) ?? '')
        : this.#routeOf(message.route);
    return {
      type: message.type,
      id: message.id,
      route,
      body: objectBody(route, decodeBody(this.#serverProtos, route, message.body)),
    };
  }

  #encode(type: MessageType, id: number, route: string, body: Uint8Array): Uint8Array {
    return encodeMessageParts(type, id, this.#wireRoute(route), body, false);
  }

  #wireRoute(route: string): number | Uint8Array {
    let wire = this.#wireRoutes.get(route);
    if (wire === undefined) {
      wire = this.#dictionary?.codeOf(route) ?? encodeRoute(route);
      // Routes come from handler and push names, a small set; a flood of distinct ones is not cached.
      if (this.#wireRoutes.size < MAX_CACHED_ROUTES) this.#wireRoutes.set(route, wire);
    }
    return wire;
  }

  #routeOf(route: string | number): string {
    if (typeof route === 'string') return route;
    if (!this.#dictionary) {
      throw new ProtocolError(
        ProtocolErrorCode.UnknownRouteCode,
        `route code ${route} arrived, but no dictionary is in use`,
      );
    }
    return this.#dictionary.routeOf(route);
  }
}

/** Reused for JSON bodies: the package encoder copies out of it at once. */
let scratch = new Uint8Array(4096);
const textEncoder = new TextEncoder();

function encodeBody(protos: ProtobufCodec | undefined, route: string, body: JsonObject): Uint8Array {
  if (protos?.has(route)) return protos.encode(route, body);
  const text = JSON.stringify(body);
  if (text.length * 3 > scratch.length)
    scratch = new Uint8Array(Math.max(text.length * 3, scratch.length * 2));
  return scratch.subarray(0, textEncoder.encodeInto(text, scratch).written);
}

function decodeBody(protos: ProtobufCodec | undefined, route: string, bytes: Uint8Array): JsonValue {
  if (protos?.has(route)) {
    try {
      return protos.decode(route, bytes);
    } catch (error) {
      // A server answers errors on a proto route as JSON (`{ code, message }` rarely fits the
      // route's proto); a JSON object never decodes as pomelo-protobuf, so read it as one.
      if (bytes[0] !== 0x7b) throw error;
      return decodeJson(route, bytes);
    }
  }
  return decodeJson(route, bytes);
}

/** What a server sends is an object; anything else is refused. */
function objectBody(route: string, value: JsonValue): JsonObject {
  if (!isJsonObject(value)) {
    throw new ProtocolError(ProtocolErrorCode.BodyNotObject, `the body of "${route}" is not a JSON object`);
  }
  return value;
}

/** Any JSON value, as Pomelo's coder takes it (`JSON.parse`); an empty body is `{}`. */
function decodeJson(route: string, bytes: Uint8Array): JsonValue {
  if (bytes.length === 0) return {};
  try {
    return JSON.parse(decodeUtf8(bytes)) as JsonValue;
  } catch (cause) {
    if (cause instanceof ProtocolError) throw cause;
    throw new ProtocolError(ProtocolErrorCode.InvalidJson, `the body of "${route}" is not valid JSON`, {
      cause,
    });
  }
}
