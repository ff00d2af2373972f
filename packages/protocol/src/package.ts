import { allocate } from './allocate.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';

/**
 * The package layer: `[type: 1 byte][body length: 3 bytes big-endian][body]`.
 * Every byte a Pomelo client and server exchange travels in one of these.
 */
export const PackageType = {
  Handshake: 1,
  HandshakeAck: 2,
  Heartbeat: 3,
  Data: 4,
  Kick: 5,
} as const;

/** One of {@link PackageType}'s values. */
export type PackageType = (typeof PackageType)[keyof typeof PackageType];

/** A decoded package; `body` is a view into the bytes it was decoded from. */
export interface Package {
  readonly type: PackageType;
  readonly body: Uint8Array;
}

/** Bytes before a package's body. */
export const PACKAGE_HEADER_LENGTH = 4;

/** The largest body the 3-byte length can describe (Pomelo's 16 MiB limit). */
export const MAX_PACKAGE_BODY_LENGTH = 0xffffff;

/** The default largest body a decoder accepts: 1 MiB. */
export const DEFAULT_MAX_PACKAGE_BODY_LENGTH = 1024 * 1024;

/** Options shared by the package decoders. */
export interface PackageDecoderOptions {
  /** The largest body accepted, at most {@link MAX_PACKAGE_BODY_LENGTH}. Default 1 MiB. */
  readonly maxBodyLength?: number;
}

const EMPTY = new Uint8Array(0);

/** Encodes one package: header and body in one new buffer. */
export function encodePackage(type: PackageType, body: Uint8Array = EMPTY): Uint8Array {
  if (body.length > MAX_PACKAGE_BODY_LENGTH) {
    throw new ProtocolError(
      ProtocolErrorCode.PackageTooLarge,
      `a package body of ${body.length} bytes exceeds the protocol's ${MAX_PACKAGE_BODY_LENGTH}`,
    );
  }
  const bytes = allocate(PACKAGE_HEADER_LENGTH + body.length);
  writePackageHeader(bytes, 0, type, body.length);
  bytes.set(body, PACKAGE_HEADER_LENGTH);
  return bytes;
}

/** Writes a package header at `offset`; the caller writes `bodyLength` body bytes after it. */
export function writePackageHeader(
  target: Uint8Array,
  offset: number,
  type: PackageType,
  bodyLength: number,
): void {
  target[offset] = type;
  target[offset + 1] = (bodyLength >>> 16) & 0xff;
  target[offset + 2] = (bodyLength >>> 8) & 0xff;
  target[offset + 3] = bodyLength & 0xff;
}

/**
 * Decodes a frame that holds one or more whole packages, as a WebSocket message does.
 * A frame that ends inside a package is a {@link ProtocolError}.
 */
export function decodePackages(frame: Uint8Array, options?: PackageDecoderOptions): Package[] {
  const maxBodyLength = checkedMaxBodyLength(options);
  const packages: Package[] = [];
  let offset = 0;
  while (offset < frame.length) {
    if (frame.length - offset < PACKAGE_HEADER_LENGTH) {
      throw truncated(`a frame ends ${frame.length - offset} bytes into a package header`);
    }
    const type = readPackageType(frame, offset);
    const bodyLength = readBodyLength(frame, offset, maxBodyLength);
    const start = offset + PACKAGE_HEADER_LENGTH;
    if (frame.length - start < bodyLength) {
      throw truncated(`a frame holds ${frame.length - start} of a package's ${bodyLength} body bytes`);
    }
    offset = start + bodyLength;
    packages.push({ type, body: frame.subarray(start, offset) });
  }
  return packages;
}

/**
 * Decodes packages from a byte stream (TCP): a package may arrive split across any number of
 * reads, down to one byte at a time, and one read may hold several packages.
 *
 * Bytes are kept as the chunks they arrived in until a whole package is there, so a declared
 * length never allocates anything before its bytes have arrived. After a {@link ProtocolError}
 * the stream is unusable and every later `write` throws the same error.
 */
export class PackageDecoder {
  readonly #maxBodyLength: number;
  readonly #onPackage: (type: PackageType, body: Uint8Array) => void;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #failure: ProtocolError | undefined;

  constructor(onPackage: (type: PackageType, body: Uint8Array) => void, options?: PackageDecoderOptions) {
    this.#maxBodyLength = checkedMaxBodyLength(options);
    this.#onPackage = onPackage;
  }

  /** Bytes received but not yet part of a whole package. */
  get bufferedLength(): number {
    return this.#buffered;
  }

  /** Feeds bytes; calls `onPackage` for every package they complete, in order. */
  write(chunk: Uint8Array): void {
    if (this.#failure) throw this.#failure;
    try {
      this.#write(chunk);
    } catch (error) {
      if (error instanceof ProtocolError) this.#failure = error;
      throw error;
    }
  }

  #write(chunk: Uint8Array): void {
    let bytes = chunk;
    if (this.#buffered > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      const needed = this.#neededLength();
      if (needed === undefined || this.#buffered < needed) return;
      bytes = this.#takeBuffered();
    }
    let offset = 0;
    while (bytes.length - offset >= PACKAGE_HEADER_LENGTH) {
      const type = readPackageType(bytes, offset);
      const bodyLength = readBodyLength(bytes, offset, this.#maxBodyLength);
      const end = offset + PACKAGE_HEADER_LENGTH + bodyLength;
      if (end > bytes.length) break;
      this.#onPackage(type, bytes.subarray(offset + PACKAGE_HEADER_LENGTH, end));
      offset = end;
    }
    if (offset < bytes.length) {
      this.#chunks.push(bytes.subarray(offset));
      this.#buffered = bytes.length - offset;
    }
  }

  /** Bytes needed for the first buffered package, once its header is complete. */
  #neededLength(): number | undefined {
    if (this.#buffered < PACKAGE_HEADER_LENGTH) return undefined;
    const header = new Uint8Array(PACKAGE_HEADER_LENGTH);
    let filled = 0;
    for (const chunk of this.#chunks) {
      const take = Math.min(chunk.length, PACKAGE_HEADER_LENGTH - filled);
      header.set(chunk.subarray(0, take), filled);
      filled += take;
      if (filled === PACKAGE_HEADER_LENGTH) break;
    }
    readPackageType(header, 0);
    return PACKAGE_HEADER_LENGTH + readBodyLength(header, 0, this.#maxBodyLength);
  }

  #takeBuffered(): Uint8Array {
    const joined = new Uint8Array(this.#buffered);
    let offset = 0;
    for (const chunk of this.#chunks) {
      joined.set(chunk, offset);
      offset += chunk.length;
    }
    this.#chunks = [];
    this.#buffered = 0;
    return joined;
  }
}

function readPackageType(bytes: Uint8Array, offset: number): PackageType {
  const type = bytes[offset] ?? 0;
  if (type < PackageType.Handshake || type > PackageType.Kick) {
    throw new ProtocolError(ProtocolErrorCode.UnknownPackageType, `unknown package type ${type}`);
  }
  return type as PackageType;
}

function readBodyLength(bytes: Uint8Array, offset: number, maxBodyLength: number): number {
  const length =
    ((bytes[offset + 1] ?? 0) << 16) | ((bytes[offset + 2] ?? 0) << 8) | (bytes[offset + 3] ?? 0);
  if (length > maxBodyLength) {
    throw new ProtocolError(
      ProtocolErrorCode.PackageTooLarge,
      `a package declares ${length} body bytes, over the limit of ${maxBodyLength}`,
    );
  }
  return length;
}

function checkedMaxBodyLength(options: PackageDecoderOptions | undefined): number {
  const max = options?.maxBodyLength ?? DEFAULT_MAX_PACKAGE_BODY_LENGTH;
  if (!Number.isInteger(max) || max < 0 || max > MAX_PACKAGE_BODY_LENGTH) {
    throw new RangeError(`maxBodyLength must be an integer from 0 to ${MAX_PACKAGE_BODY_LENGTH}, got ${max}`);
  }
  return max;
}

function truncated(message: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.TruncatedPackage, message);
}
