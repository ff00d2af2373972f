import { randomBytes, scrypt } from 'node:crypto';
import { ErrorCode, ShaddockError } from '../errors.js';
import { clusterProof } from '../transport/index.js';

/** The scrypt cost of a derived admin key: `N` (a power of two), `r` and `p`. */
export interface ScryptCost {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** The cost of the keys this version derives: ~16 MiB and some tens of ms per login, on the client. */
export const DEFAULT_SCRYPT_COST: ScryptCost = Object.freeze({ N: 16_384, r: 8, p: 1 });

/** Bytes of a derived key. */
const KEY_LENGTH = 32;
/** Bytes of a salt. */
const SALT_LENGTH = 16;
/** The dearest cost a client derives a key at (with r 8: 128 MiB); `config/adminUser.json` takes no more. */
const MAX_N = 2 ** 17;

/** What the two sides of an admin login prove, each under the user's derived key (one purpose each). */
export const AdminProofPurpose = {
  /** The client: it knows the key (so the password). */
  Login: 'admin login',
  /** The master: it knows the key too (it is the master the user set up, not an impostor). */
  Master: 'admin master',
} as const;

/** One of {@link AdminProofPurpose}'s values. */
export type AdminProofPurpose = (typeof AdminProofPurpose)[keyof typeof AdminProofPurpose];

/** A fresh random salt, base64url. */
export function newSalt(): string {
  return randomBytes(SALT_LENGTH).toString('base64url');
}

/** Whether a client should derive a key at this cost (a master may not ask for an absurd one). */
export function acceptableCost(cost: ScryptCost): boolean {
  const { N, r, p } = cost;
  return (
    Number.isInteger(N) &&
    Number.isInteger(r) &&
    Number.isInteger(p) &&
    N >= 2 &&
    N <= MAX_N &&
    (N & (N - 1)) === 0 &&
    r >= 1 &&
    p >= 1 &&
    r * p <= 64
  );
}

/**
 * The key derived from `password` with `salt` (base64url) at `cost`: scrypt, 32 bytes, base64url.
 * What the master stores or computes once, and what the client computes at each login.
 */
export function deriveAdminKey(password: string, salt: string, cost: ScryptCost): Promise<string> {
  if (!acceptableCost(cost)) {
    return Promise.reject(
      new ShaddockError(
        ErrorCode.AdminUnauthorized,
        `refusing a key derivation of cost ${JSON.stringify(cost)}`,
      ),
    );
  }
  const { N, r, p } = cost;
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize('NFC'),
      Buffer.from(salt, 'base64url'),
      KEY_LENGTH,
      { N, r, p, maxmem: 129 * N * r * p + 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(key.toString('base64url'))),
    );
  });
}

/**
 * `password` as it may be stored in `config/adminUser.json` (`"passwordKey": …`), with a fresh
 * salt: `scrypt$N$r$p$salt$key`.
 *
 * @example
 * const passwordKey = await formatPasswordKey('s3cret'); // 'scrypt$16384$8$1$…$…'
 */
export async function formatPasswordKey(
  password: string,
  cost: ScryptCost = DEFAULT_SCRYPT_COST,
): Promise<string> {
  const salt = newSalt();
  const key = await deriveAdminKey(password, salt, cost);
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt}$${key}`;
}

/**
 * One side's proof in an admin login: HMAC under the derived key of the purpose, both nonces and
 * the username. The master's nonce makes it good on one connection only: a recorded login does
 * not replay.
 */
export function adminProof(
  key: string,
  purpose: AdminProofPurpose,
  masterNonce: Uint8Array,
  clientNonce: Uint8Array,
  username: string,
): Buffer {
  return clusterProof(key, purpose, masterNonce, clientNonce, username);
}
