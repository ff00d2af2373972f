import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Bytes of a fresh nonce: enough that one is never seen twice. */
export const NONCE_LENGTH = 32;

/** A fresh random nonce, for one challenge. */
export function newNonce(): Buffer {
  return randomBytes(NONCE_LENGTH);
}

/**
 * The proof that the sender knows the cluster secret: HMAC-SHA256 under `secret` of `purpose` and
 * `parts`, each length-prefixed so that no two different lists hash the same. `purpose` names the
 * step (`'rpc client'`, `'rpc server'`, `'monitor'`, …), so a proof made for one step is never
 * accepted by another, and the nonces in `parts` make it good for one connection only.
 *
 * @example
 * const proof = clusterProof(secret, 'rpc client', serverNonce, clientNonce, clientId);
 * if (!proofMatches(proof, received)) socket.destroy();
 */
export function clusterProof(
  secret: string,
  purpose: string,
  ...parts: ReadonlyArray<Uint8Array | string>
): Buffer {
  const hmac = createHmac('sha256', secret);
  for (const part of [purpose, ...parts]) {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(bytes.length);
    hmac.update(length);
    hmac.update(bytes);
  }
  return hmac.digest();
}

/** Whether `received` (anything a peer sent) is exactly `expected`, compared in constant time. */
export function proofMatches(expected: Uint8Array, received: unknown): boolean {
  if (!(received instanceof Uint8Array) || received.length !== expected.length) return false;
  return timingSafeEqual(expected, received);
}
