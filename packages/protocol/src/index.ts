/**
 * `@shaddock/protocol`: Pomelo's client wire protocol, byte for byte, on `Uint8Array` only,
 * so the same code runs in servers and in browsers.
 *
 * @example
 * ```ts
 * const codec = new MessageCodec({ dictionary: RouteDictionary.fromRoutes(['chat.chatHandler.send']) });
 * const bytes = codec.encodeRequest(1, 'chat.chatHandler.send', { content: 'hi' });
 * for (const { type, body } of decodePackages(bytes)) {
 *   if (type === PackageType.Data) console.log(codec.decodeFromClient(body));
 * }
 * ```
 */
export { type DecodedMessage, MessageCodec, type MessageCodecOptions } from './codec.js';
export { type RouteCodes, RouteDictionary } from './dictionary.js';
export { isProtocolError, ProtocolError, ProtocolErrorCode } from './errors.js';
export {
  decodeHandshakeRequest,
  decodeHandshakeResponse,
  decodeKick,
  encodeHandshakeRequest,
  encodeHandshakeResponse,
  encodeKick,
  HandshakeCode,
  type HandshakeProtos,
  type HandshakeRequest,
  type HandshakeResponse,
  type KickBody,
} from './handshake.js';
export { isJsonObject, type JsonObject, type JsonValue } from './json.js';
export {
  decodeMessage,
  encodeMessagePackage,
  MAX_MESSAGE_ID,
  MAX_ROUTE_CODE,
  MAX_ROUTE_LENGTH,
  type MessageDecodeOptions,
  MessageType,
  type WireMessage,
} from './message.js';
export {
  DEFAULT_MAX_PACKAGE_BODY_LENGTH,
  decodePackages,
  encodePackage,
  MAX_PACKAGE_BODY_LENGTH,
  PACKAGE_HEADER_LENGTH,
  type Package,
  PackageDecoder,
  type PackageDecoderOptions,
  PackageType,
} from './package.js';
export {
  type ParsedProtoDefinitions,
  type ParsedProtoField,
  type ParsedProtoMessage,
  ProtobufCodec,
  type ProtoDefinitions,
  type ProtoMessageDefinition,
  toParsedForm,
} from './protobuf/index.js';
export { decodeUtf8, encodeUtf8 } from './utf8.js';
