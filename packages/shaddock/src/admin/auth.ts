import { randomBytes } from 'node:crypto';
import type { AdminUser } from '../config/index.js';
import { clusterProof, proofMatches } from '../transport/index.js';
import {
  AdminProofPurpose,
  adminProof,
  DEFAULT_SCRYPT_COST,
  deriveAdminKey,
  newSalt,
  type ScryptCost,
} from './admin-key.js';
import type { LoginChallenge } from './protocol.js';

/** How to get an admin user, said in every refusal caused by having none. */
export const HOW_TO_ADD_ADMIN_USER =
  'add one to config/adminUser.json ([{ "id": "admin", "username": "admin", "password": "<secret>", "level": 1 }], ' +
  'or "passwordKey" from `shaddock admin-key` instead of "password") ' +
  "or set SHADDOCK_ADMIN_USER=<username>:<password> in the master's environment; " +
  'in development the master generates one in .shaddock/admin-user.json';

/** A user's derived key: what both sides of a login prove they know. */
interface UserKey {
  readonly user: AdminUser;
  readonly salt: string;
  readonly cost: ScryptCost;
  readonly key: string;
}

/** A login in progress: the challenge sent, and whose key the proof must be under. */
export interface PendingLogin {
  readonly username: string;
  readonly challenge: LoginChallenge;
  /** `undefined` for a username nobody has: the challenge looks the same, and no proof matches. */
  readonly entry: UserKey | undefined;
}

function challengeOf(salt: string, cost: ScryptCost): LoginChallenge {
  return { type: 'challenge', kdf: 'scrypt', salt, N: cost.N, r: cost.r, p: cost.p };
}

/**
 * The master's side of admin logins: each user's derived key (from `passwordKey` as stored, or
 * derived once from `password` with a salt drawn for this run), the challenge for a username, and
 * the check of a proof. A username nobody has gets a challenge like any other (a salt that is the
 * same each time it is asked for), so a login says nothing of which users exist.
 */
export class AdminAuthority {
  readonly #users: ReadonlyMap<string, UserKey>;
  // keys the decoy salts of unknown usernames, and the proofs checked for them
  readonly #decoy = randomBytes(32).toString('base64url');

  private constructor(users: ReadonlyMap<string, UserKey>) {
    this.#users = users;
  }

  /** Derives the key of every user with a `password` (scrypt, once). The first user of a name wins. */
  static async create(users: readonly AdminUser[]): Promise<AdminAuthority> {
    const entries = await Promise.all(
      users.map(async (user): Promise<UserKey> => {
        if (user.passwordKey !== undefined) {
          const { N, r, p, salt, key } = user.passwordKey;
          return { user, salt, cost: { N, r, p }, key };
        }
        const salt = newSalt();
        const key = await deriveAdminKey(user.password ?? '', salt, DEFAULT_SCRYPT_COST);
        return { user, salt, cost: DEFAULT_SCRYPT_COST, key };
      }),
    );
    const byName = new Map<string, UserKey>();
    for (const entry of entries) if (!byName.has(entry.user.username)) byName.set(entry.user.username, entry);
    return new AdminAuthority(byName);
  }

  /** Whether no user is configured (every login is refused, saying how to add one). */
  get empty(): boolean {
    return this.#users.size === 0;
  }

  /** The challenge for `username`'s login. */
  begin(username: string): PendingLogin {
    const entry = this.#users.get(username);
    if (entry) return { username, challenge: challengeOf(entry.salt, entry.cost), entry };
    const salt = clusterProof(this.#decoy, 'admin decoy salt', username)
      .subarray(0, 16)
      .toString('base64url');
    return { username, challenge: challengeOf(salt, DEFAULT_SCRYPT_COST), entry: undefined };
  }

  /**
   * The user, when `proof` is the client's proof for this login and these nonces; then also the
   * master's proof to send back.
   */
  finish(
    login: PendingLogin,
    masterNonce: Uint8Array,
    clientNonce: Uint8Array,
    proof: unknown,
  ): { user: AdminUser; masterProof: Buffer } | undefined {
    const key = login.entry?.key ?? this.#decoy;
    const expected = adminProof(key, AdminProofPurpose.Login, masterNonce, clientNonce, login.username);
    if (!proofMatches(expected, proof) || login.entry === undefined) return undefined;
    const masterProof = adminProof(key, AdminProofPurpose.Master, masterNonce, clientNonce, login.username);
    return { user: login.entry.user, masterProof };
  }
}
