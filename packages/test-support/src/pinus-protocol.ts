// pinus-protocol: Pinus's package and message codecs.
import { createRequire } from 'node:module';

/** A package as `Package.decode` returns it. */
export interface PinusPackage {
  type: number;
  /** null for an empty body. (A package with a bad type or length comes back as `{ type }` alone.) */
  body: Buffer | null;
}

/** A DATA package's message as `Message.decode` returns it. */
export interface PinusMessage {
  id: number;
  type: number;
  /** 1 when the route travelled as a dictionary code. */
  compressRoute: number;
  /** A code when compressed, a string when not, null for a response; Pomelo's coders overwrite it. */
  route: string | number | null;
  /** The body's bytes, as decoded. */
  get body(): Buffer;
  /** Pomelo's coders overwrite the bytes with the decoded body. */
  set body(decoded: unknown);
  compressGzip: number;
}

/** The module: `require('pinus-protocol')`, or the default import of `pinus-protocol/dist/index.js`. */
export interface PinusProtocol {
  Protocol: {
    strencode(text: string): Buffer;
    strdecode(bytes: Buffer): string;
  };
  Package: {
    TYPE_HANDSHAKE: number;
    TYPE_HANDSHAKE_ACK: number;
    TYPE_HEARTBEAT: number;
    TYPE_DATA: number;
    TYPE_KICK: number;
    encode(type: number, body?: Uint8Array): Buffer;
    /** One package alone, or an array of several. */
    decode(bytes: Uint8Array): PinusPackage | PinusPackage[];
  };
  Message: {
    TYPE_REQUEST: number;
    TYPE_NOTIFY: number;
    TYPE_RESPONSE: number;
    TYPE_PUSH: number;
    encode(
      id: number,
      type: number,
      compressRoute: boolean,
      /** null for a response, which has no route. */
      route: number | string | null,
      /** null (a failed protobuf encode) writes no body. */
      body: Uint8Array | null,
      compressGzip?: boolean,
    ): Buffer;
    decode(bytes: Uint8Array): PinusMessage;
  };
}

/** pinus-protocol's package and message codecs. */
export const { Package, Message } = createRequire(import.meta.url)('pinus-protocol') as PinusProtocol;

/** `Package.decode` as a list: one WebSocket frame, or one piece of a TCP stream, may hold several. */
export function decodePinusPackages(bytes: Uint8Array): PinusPackage[] {
  const decoded = Package.decode(bytes);
  return Array.isArray(decoded) ? decoded : [decoded];
}

/**
 * A TCP socket's `data` listener that cuts the stream into whole packages (a 4-byte head: the type,
 * then the body's length in 3 bytes big-endian) and hands each package's bytes to `onPackage`.
 */
export function splitPackages(onPackage: (bytes: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const length = 4 + pending.readUIntBE(1, 3);
      if (pending.length < length) break;
      onPackage(pending.subarray(0, length));
      pending = pending.subarray(length);
    }
  };
}
