// pinus-protobuf: Pomelo's protobuf codec.
import { createRequire } from 'node:module';

/** Protos as `Protobuf.parse` leaves them, and as Pinus's handshake carries them: keyed by route. */
export type ParsedProtos = { readonly [route: string]: object | undefined };

/** A codec that encodes with one side's protos and decodes with the other's. */
export interface PinusProtobufCodec {
  /** null when the message does not match its proto (logged, not thrown). */
  encode(route: string, message: object): Buffer | null;
  decode(route: string, bytes: Buffer): { [key: string]: unknown } | null;
}

/** The module: `require('pinus-protobuf')`, or the default import of `pinus-protobuf/dist/protobuf.js`. */
export interface PinusProtobuf {
  Protobuf: {
    new (options: {
      encoderProtos: ParsedProtos;
      decoderProtos: ParsedProtos;
      encoderCacheSize?: number;
      decodeCheckMsg?: boolean;
    }): PinusProtobufCodec;
    /** Pomelo's JSON proto definitions to their parsed form. */
    parse(protos: object): ParsedProtos;
  };
}

/** pinus-protobuf's codec. */
export const { Protobuf } = createRequire(import.meta.url)('pinus-protobuf') as PinusProtobuf;
