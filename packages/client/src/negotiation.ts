import {
  encodeHandshakeRequest,
  type HandshakeProtos,
  type HandshakeRequest,
  type HandshakeResponse,
  MessageCodec,
  ProtobufCodec,
  type RouteCodes,
  RouteDictionary,
} from '@shaddock/protocol';
import type { CachedHandshake, HandshakeCache } from './cache.js';
import type { ClientSettings } from './options.js';

/**
 * The handshake's content for one client, across its reconnects: what to ask (versions of the
 * cached dictionary and protos), and the codec to use once the server answered. A codec is
 * built again only when the dictionary or protos changed.
 */
export class Negotiation {
  readonly #settings: ClientSettings;
  readonly #cache: HandshakeCache;
  #dict: RouteCodes | undefined;
  #protos: HandshakeProtos | undefined;
  #codec: MessageCodec | undefined;

  constructor(settings: ClientSettings) {
    this.#settings = settings;
    this.#cache = settings.cache;
  }

  /** The HANDSHAKE package: client type and version, cached versions, user data. */
  request(): Uint8Array {
    const cached = this.#cached();
    const sys: { -readonly [Key in keyof HandshakeRequest['sys']]: HandshakeRequest['sys'][Key] } = {
      type: this.#settings.clientType,
      version: this.#settings.clientVersion,
    };
    if (cached?.dict !== undefined && cached.dictVersion !== undefined) sys.dictVersion = cached.dictVersion;
    if (cached?.protos !== undefined && cached.protoVersion !== undefined)
      sys.protoVersion = cached.protoVersion;
    const user = this.#settings.user;
    return encodeHandshakeRequest(user === undefined ? { sys } : { sys, user });
  }

  /**
   * The codec for an accepted handshake: the dictionary and protos it carries, or the cached
   * ones where it says they are in use but did not resend them. What it carries is cached.
   * Throws a `ProtocolError` for a dictionary or protos that do not compile.
   */
  codec(response: HandshakeResponse): MessageCodec {
    const sys = response.sys ?? {};
    let cached = this.#cached();
    if (sys.dict !== undefined || sys.protos !== undefined) {
      const update: { -readonly [Key in keyof CachedHandshake]: CachedHandshake[Key] } = { ...cached };
      if (sys.dict !== undefined) {
        update.dict = sys.dict;
        if (sys.dictVersion === undefined) delete update.dictVersion;
        else update.dictVersion = sys.dictVersion;
      }
      if (sys.protos !== undefined) {
        update.protos = sys.protos;
        update.protoVersion = sys.protos.version;
      }
      try {
        this.#cache.set(update);
      } catch {
        // A cache only saves bytes: one that fails to store costs a resend next time, nothing more.
      }
      cached = update;
    }
    const dict = sys.dict ?? (sys.useDict ? cached?.dict : undefined);
    const protos = sys.protos ?? (sys.useProto ? cached?.protos : undefined);
    if (this.#codec === undefined || dict !== this.#dict || protos !== this.#protos) {
      this.#codec = new MessageCodec({
        dictionary: dict === undefined ? undefined : RouteDictionary.fromCodes(dict),
        clientProtos: protos === undefined ? undefined : new ProtobufCodec(protos.client),
        serverProtos: protos === undefined ? undefined : new ProtobufCodec(protos.server),
      });
      this.#dict = dict;
      this.#protos = protos;
    }
    return this.#codec;
  }

  #cached(): CachedHandshake | undefined {
    try {
      return this.#cache.get();
    } catch {
      return undefined;
    }
  }
}
