import { describe, expect, it } from 'vitest';
import { codeOf } from '../test/protocol-error-code.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import { decodePackages, encodePackage, type Package, PackageDecoder, PackageType } from './package.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function collect(chunks: Uint8Array[], maxBodyLength?: number): Package[] {
  const packages: Package[] = [];
  const decoder = new PackageDecoder(
    (type, body) => packages.push({ type, body: body.slice() }),
    maxBodyLength === undefined ? undefined : { maxBodyLength },
  );
  for (const chunk of chunks) decoder.write(chunk);
  return packages;
}

const stream = Uint8Array.from([
  ...encodePackage(PackageType.Handshake, new TextEncoder().encode('{"sys":{}}')),
  ...encodePackage(PackageType.HandshakeAck),
  ...encodePackage(PackageType.Heartbeat),
  ...encodePackage(PackageType.Data, Uint8Array.from([1, 2, 3, 4, 5])),
  ...encodePackage(PackageType.Kick, new TextEncoder().encode('{"reason":"x"}')),
]);

describe('package layer', () => {
  it('writes a 1-byte type and a 3-byte big-endian length', () => {
    expect(hex(encodePackage(PackageType.Data, new Uint8Array(0x010203)).subarray(0, 4))).toBe('04010203');
    expect(hex(encodePackage(PackageType.Heartbeat))).toBe('03000000');
  });

  it('decodes a frame of several whole packages', () => {
    expect(decodePackages(stream).map((item) => item.type)).toEqual([1, 2, 3, 4, 5]);
  });

  it('decodes a stream split at every offset', () => {
    const whole = collect([stream]);
    for (let split = 0; split <= stream.length; split++) {
      const parts = collect([stream.subarray(0, split), stream.subarray(split)]);
      expect(parts.map((item) => [item.type, hex(item.body)])).toEqual(
        whole.map((item) => [item.type, hex(item.body)]),
      );
    }
  });

  it('decodes a stream fed one byte at a time', () => {
    const chunks = Array.from(stream, (byte) => Uint8Array.of(byte));
    expect(collect(chunks).map((item) => item.type)).toEqual([1, 2, 3, 4, 5]);
  });

  it('keeps the partial bytes until the package completes', () => {
    const decoder = new PackageDecoder(() => {});
    decoder.write(Uint8Array.of(4, 0, 0, 10, 1));
    expect(decoder.bufferedLength).toBe(5);
  });

  it('does not allocate for a declared length before the bytes arrive', () => {
    const decoder = new PackageDecoder(() => {}, { maxBodyLength: 0xffffff });
    decoder.write(Uint8Array.of(4, 0xff, 0xff, 0xff));
    expect(decoder.bufferedLength).toBe(4);
  });

  it('rejects unknown types, oversize lengths and truncated frames with codes', () => {
    expect(codeOf(() => decodePackages(Uint8Array.of(9, 0, 0, 0)))).toBe(
      ProtocolErrorCode.UnknownPackageType,
    );
    expect(codeOf(() => decodePackages(Uint8Array.of(0, 0, 0, 0)))).toBe(
      ProtocolErrorCode.UnknownPackageType,
    );
    expect(codeOf(() => decodePackages(Uint8Array.of(4, 0x10, 0, 1)))).toBe(
      ProtocolErrorCode.PackageTooLarge,
    );
    expect(codeOf(() => decodePackages(Uint8Array.of(4, 0, 0)))).toBe(ProtocolErrorCode.TruncatedPackage);
    expect(codeOf(() => decodePackages(Uint8Array.of(4, 0, 0, 2, 1)))).toBe(
      ProtocolErrorCode.TruncatedPackage,
    );
    expect(codeOf(() => collect([Uint8Array.of(4, 0, 0), Uint8Array.of(9, 1)], 8))).toBe(
      ProtocolErrorCode.PackageTooLarge,
    );
  });

  it('accepts lengths up to a configured maximum of 16 MiB', () => {
    const body = new Uint8Array(2 * 1024 * 1024);
    expect(codeOf(() => decodePackages(encodePackage(PackageType.Data, body)))).toBe(
      ProtocolErrorCode.PackageTooLarge,
    );
    expect(
      decodePackages(encodePackage(PackageType.Data, body), { maxBodyLength: 0xffffff })[0]?.body.length,
    ).toBe(body.length);
    expect(() => new PackageDecoder(() => {}, { maxBodyLength: 0x1000000 })).toThrow(RangeError);
  });

  it('stays failed after a protocol error', () => {
    const decoder = new PackageDecoder(() => {});
    expect(() => decoder.write(Uint8Array.of(7, 0, 0, 0))).toThrow(ProtocolError);
    expect(() => decoder.write(encodePackage(PackageType.Heartbeat))).toThrow(ProtocolError);
  });
});
