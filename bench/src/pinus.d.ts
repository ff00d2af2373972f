// pinus-protocol and pinus-protobuf point their "types" at their TypeScript sources, which tsc
// then compiles, and which fail under our strict settings. So the benchmarks import the built
// CommonJS entry files, which tsc leaves alone, and these are the parts of them they use.

declare module 'pinus-protocol/dist/index.js' {
  interface PinusPackage {
    type: number;
    /** null for an empty body. */
    body: Buffer | null;
  }
  interface PinusMessage {
    id: number;
    type: number;
    compressRoute: number;
    /** A code when compressed, a string when not, null for a response; the coders overwrite it. */
    route: string | number | null;
    /** Bytes as decoded; the coders overwrite it with the decoded body. */
    body: unknown;
    compressGzip: number;
  }
  const pinusProtocol: {
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
      encode(type: number, body?: Buffer): Buffer;
      /** One package alone, an array of several, or `{ type }` alone for a bad one. */
      decode(bytes: Buffer): PinusPackage | PinusPackage[];
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
        route: number | string | null,
        /** null (a failed protobuf encode) writes no body. */
        body: Buffer | null,
        compressGzip?: boolean,
      ): Buffer;
      decode(bytes: Buffer): PinusMessage;
    };
  };
  export = pinusProtocol;
}

declare module 'pinus-protobuf/dist/protobuf.js' {
  /** Protos as `Protobuf.parse` leaves them, keyed by route; opaque to the benchmarks. */
  type ParsedProtos = { readonly [route: string]: object | undefined };
  interface PinusProtobuf {
    /** null when the message does not match its proto (logged, not thrown). */
    encode(route: string, message: object): Buffer | null;
    decode(route: string, bytes: Buffer): { [key: string]: unknown } | null;
  }
  const pinusProtobuf: {
    Protobuf: {
      new (options: {
        encoderProtos: ParsedProtos;
        decoderProtos: ParsedProtos;
        encoderCacheSize?: number;
        decodeCheckMsg?: boolean;
      }): PinusProtobuf;
      parse(protos: object): ParsedProtos;
    };
  };
  export = pinusProtobuf;
}
