// pinus-protocol's "types" point at TypeScript sources that do not compile under our settings:
// the tests load it untyped and describe the parts they use here.
export interface DecodedPackage {
  type: number;
  body: Buffer | null;
}
export interface DecodedMessage {
  id: number;
  type: number;
  compressRoute: number;
  route: string | number | null;
  body: Buffer;
  compressGzip: number;
}
export interface PinusProtocol {
  Package: {
    TYPE_HANDSHAKE: number;
    TYPE_HANDSHAKE_ACK: number;
    TYPE_HEARTBEAT: number;
    TYPE_DATA: number;
    TYPE_KICK: number;
    encode(type: number, body?: Uint8Array): Buffer;
    decode(buffer: Uint8Array): DecodedPackage | DecodedPackage[];
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
      body: Uint8Array | null,
      compressGzip?: boolean,
    ): Buffer;
    decode(buffer: Uint8Array): DecodedMessage;
  };
}
