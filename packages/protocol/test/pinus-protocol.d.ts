// The published package points its "types" at a file it does not ship; these are the parts the tests use.
declare module 'pinus-protocol/dist/index.js' {
  interface DecodedPackage {
    type: number;
    body: Buffer | null;
  }
  interface DecodedMessage {
    id: number;
    type: number;
    compressRoute: number;
    route: string | number | null;
    body: Buffer;
    compressGzip: number;
  }
  export const Package: {
    TYPE_HANDSHAKE: number;
    TYPE_HANDSHAKE_ACK: number;
    TYPE_HEARTBEAT: number;
    TYPE_DATA: number;
    TYPE_KICK: number;
    encode(type: number, body?: Uint8Array): Buffer;
    decode(buffer: Uint8Array): DecodedPackage | DecodedPackage[];
  };
  export const Message: {
    TYPE_REQUEST: number;
    TYPE_NOTIFY: number;
    TYPE_RESPONSE: number;
    TYPE_PUSH: number;
    encode(
      id: number,
      type: number,
      compressRoute: boolean,
      route: number | string | null,
      body: Uint8Array | null,
      compressGzip?: boolean,
    ): Buffer;
    decode(buffer: Uint8Array): DecodedMessage;
  };
}
