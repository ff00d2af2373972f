/**
 * pomelo-protobuf: Pomelo's JSON proto format, byte for byte as `pinus-protobuf` writes it, on
 * `Uint8Array` only (no Node APIs), so it runs in browsers too.
 *
 * @module
 */
import { ProtocolError, ProtocolErrorCode } from '../errors.js';
import type { JsonObject } from '../json.js';
import { decodeMessage } from './decode.js';
import { encodeMessage } from './encode.js';
import { fromParsedForm, isParsedForm, type ParsedProtoDefinitions } from './parsed-form.js';
import { invalid, Reader } from './reader.js';
import {
  type CompiledRoutes,
  compileDefinitions,
  type MessageDescriptor,
  type ProtoDefinitions,
} from './schema.js';
import { Writer } from './writer.js';

export {
  type ParsedProtoDefinitions,
  type ParsedProtoField,
  type ParsedProtoMessage,
  toParsedForm,
} from './parsed-form.js';
export type { ProtoDefinitions, ProtoMessageDefinition } from './schema.js';

/**
 * Encodes and decodes message bodies with Pomelo JSON proto definitions, such as
 * `{ "onMove": { "required uInt32 id": 1, "message Path": { "required double x": 1 }, "repeated Path path": 2 } }`.
 *
 * Each definition is compiled once, in the constructor. Encoding writes fields in the message object's own
 * key order, as pomelo-protobuf does, so the bytes are the same. Decoding checks every length against the
 * input and throws only {@link ProtocolError}: `InvalidProtobuf` for bytes that do not decode and for
 * messages that cannot be encoded, `InvalidUtf8` for a malformed string, `InvalidRoute` for a route without
 * a definition.
 *
 * @example
 * ```ts
 * const codec = new ProtobufCodec({ 'area.move': { 'required uInt32 x': 1, 'required uInt32 y': 2 } });
 * const bytes = codec.encode('area.move', { x: 3, y: 4 }); // 08 03 10 04
 * codec.decode('area.move', bytes); // { x: 3, y: 4 }
 * ```
 */
export class ProtobufCodec {
  readonly #routes: CompiledRoutes;
  readonly #writer = new Writer();
  #encoding = false;

  /**
   * Compiles `definitions`: route-level entries, plus root-level `"message X"` types shared by all of them.
   * Throws a {@link ProtocolError} (`InvalidProtoSchema`) naming the route and key of a bad definition:
   * a key that is not `"<rule> <type> <name>"` or `"message <Name>"`, an unknown rule or type, a tag that
   * is not an integer from 0 to 2^28−1, a tag or field name used twice.
   * Definitions in the handshake's parsed form (what a Pomelo server sends) are accepted too.
   */
  constructor(definitions: ProtoDefinitions | ParsedProtoDefinitions) {
    this.#routes = compileDefinitions(
      isParsedForm(definitions) ? fromParsedForm(definitions) : (definitions as ProtoDefinitions),
    );
  }

  /** True when `route` has a route-level definition (root-level `"message X"` types are not routes). */
  has(route: string): boolean {
    return this.#routes.has(route);
  }

  /**
   * Encodes `message` with the definition of `route`. Keys without a field are ignored; `null` and
   * `undefined` values and empty arrays are left out. A missing required field or a value of the wrong
   * JS type is an `InvalidProtobuf` {@link ProtocolError}.
   */
  encode(route: string, message: JsonObject): Uint8Array {
    const descriptor = this.#descriptor(route);
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      throw invalid(`the body of "${route}" must be an object`);
    }
    // A getter in `message` could call back into this codec: it then gets a writer of its own.
    if (this.#encoding) return encodeWith(new Writer(), descriptor, message);
    this.#encoding = true;
    try {
      return encodeWith(this.#writer, descriptor, message);
    } finally {
      this.#encoding = false;
    }
  }

  /** Decodes `bytes` with the definition of `route`. Malformed bytes are a {@link ProtocolError}. */
  decode(route: string, bytes: Uint8Array): JsonObject {
    return decodeMessage(new Reader(bytes), this.#descriptor(route), 0);
  }

  #descriptor(route: string): MessageDescriptor {
    const descriptor = this.#routes.get(route);
    if (descriptor === undefined) {
      throw new ProtocolError(ProtocolErrorCode.InvalidRoute, `no proto definition for route "${route}"`);
    }
    return descriptor;
  }
}

function encodeWith(writer: Writer, descriptor: MessageDescriptor, message: JsonObject): Uint8Array {
  writer.reset();
  encodeMessage(writer, descriptor, message, 0);
  return writer.finish();
}
