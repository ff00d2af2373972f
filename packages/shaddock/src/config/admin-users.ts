import { ConfigError, ErrorCode } from '../errors.js';
import { isRecord } from './config-file.js';
import { invalid, optionalInteger, optionalString, recordList, requiredString } from './fields.js';

/**
 * A password stored as the key derived from it (scrypt with this user's salt), written in the file
 * as `"passwordKey": "scrypt$<N>$<r>$<p>$<salt>$<key>"` (salt and key in base64url). The master
 * logs such a user in without ever knowing the password; the CLI can log in with it too.
 */
export interface AdminPasswordKey {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: string;
  readonly key: string;
}

/**
 * One user allowed on the admin connection (Pomelo's `adminUser.json` entry). It has a `password`
 * or a `passwordKey` (never both). `level` says what it may do: 1 runs every command, 2 and above
 * only read (`list`).
 */
export interface AdminUser {
  readonly id: string;
  readonly username: string;
  readonly password?: string;
  readonly passwordKey?: AdminPasswordKey;
  /** 1: every command; 2 and above: `list` only. */
  readonly level: number;
}

/** The environment variable that adds one admin user, written `user:password`. */
export const ADMIN_USER_VARIABLE = 'SHADDOCK_ADMIN_USER';

/** A flat admin file is a list; an env-keyed one is an object of lists (a lone user object is neither). */
export function adminUsersAreEnvKeyed(content: unknown): boolean {
  return isRecord(content) && !('username' in content);
}

const PASSWORD_KEY = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{43})$/;

/** `scrypt$N$r$p$salt$key` read, or `undefined` when it is not that (N a power of two ≤ 2^17, r·p ≤ 64). */
export function parsePasswordKey(text: string): AdminPasswordKey | undefined {
  const match = PASSWORD_KEY.exec(text);
  if (!match) return undefined;
  const [, n, r, p, salt, key] = match as unknown as [string, string, string, string, string, string];
  const N = Number(n);
  const cost = { N, r: Number(r), p: Number(p) };
  if (N < 2 || N > 2 ** 17 || (N & (N - 1)) !== 0) return undefined;
  if (cost.r < 1 || cost.p < 1 || cost.r * cost.p > 64) return undefined;
  return { ...cost, salt, key };
}

/**
 * Reads `[{ id, username, password | passwordKey, level }]` for one environment. `id` defaults to
 * the username and `level` to 1.
 */
export function readAdminUsers(file: string, content: unknown, at: string): AdminUser[] {
  return recordList(file, content, at, { list: 'admin users', entry: 'a user object' }).map((source) => {
    const username = requiredString(source, 'username');
    const password = optionalString(source, 'password');
    const keyText = optionalString(source, 'passwordKey');
    if (password === undefined && keyText === undefined) {
      throw invalid(source, 'password', 'missing "password" (or "passwordKey", the key derived from it)');
    }
    if (password !== undefined && keyText !== undefined) {
      throw invalid(source, 'password', 'give a "password" or a "passwordKey", not both');
    }
    const id = optionalString(source, 'id') ?? username;
    const level = optionalInteger(source, 'level', 1, Number.MAX_SAFE_INTEGER) ?? 1;
    if (password !== undefined) return { id, username, password, level };
    const passwordKey = parsePasswordKey(keyText as string);
    if (passwordKey === undefined) {
      throw invalid(
        source,
        'passwordKey',
        '"passwordKey" must be scrypt$<N>$<r>$<p>$<salt>$<key> (as `shaddock admin-key` prints it)',
      );
    }
    return { id, username, passwordKey, level };
  });
}

/**
 * The user of `SHADDOCK_ADMIN_USER=user:password` (split at the first colon), at level 1; `undefined`
 * when the variable is unset or empty.
 */
export function adminUserFromVariable(value: string | undefined): AdminUser | undefined {
  if (value === undefined || value === '') return undefined;
  const colon = value.indexOf(':');
  if (colon <= 0 || colon === value.length - 1) {
    throw new ConfigError(
      ErrorCode.ConfigInvalid,
      `environment variable ${ADMIN_USER_VARIABLE}`,
      undefined,
      'expected "user:password" with a non-empty user and password',
    );
  }
  const username = value.slice(0, colon);
  return { id: username, username, password: value.slice(colon + 1), level: 1 };
}

/** The file's users, with the variable's user added (replacing a file user of the same name). */
export function mergeAdminUsers(
  fromFile: readonly AdminUser[],
  fromVariable: AdminUser | undefined,
): AdminUser[] {
  if (fromVariable === undefined) return [...fromFile];
  return [...fromFile.filter((user) => user.username !== fromVariable.username), fromVariable];
}
