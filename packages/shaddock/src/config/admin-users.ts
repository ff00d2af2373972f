import { ConfigError, ErrorCode } from '../errors.js';
import { isRecord } from './config-file.js';
import { describe, optionalInteger, optionalString, requiredString } from './fields.js';

/** One user allowed on the admin connection (Pomelo's `adminUser.json` entry). */
export interface AdminUser {
  readonly id: string;
  readonly username: string;
  readonly password: string;
  /** 1 may stop, add and kill servers (Pomelo's rule); higher levels may run the other commands. */
  readonly level: number;
}

/** The environment variable that adds one admin user, written `user:password`. */
export const ADMIN_USER_VARIABLE = 'SHADDOCK_ADMIN_USER';

/** A flat admin file is a list; an env-keyed one is an object of lists (a lone user object is neither). */
export function adminUsersAreEnvKeyed(content: unknown): boolean {
  return isRecord(content) && !('username' in content);
}

/**
 * Reads `[{ id, username, password, level }]` for one environment. `id` defaults to the
 * username and `level` to 1.
 */
export function readAdminUsers(file: string, content: unknown, at: string): AdminUser[] {
  if (!Array.isArray(content)) {
    throw new ConfigError(
      ErrorCode.ConfigInvalid,
      file,
      at === '' ? undefined : at,
      `expected a list of admin users, got ${describe(content)}`,
    );
  }
  return content.map((entry: unknown, index) => {
    const entryAt = `${at}[${index}]`;
    if (!isRecord(entry)) {
      throw new ConfigError(
        ErrorCode.ConfigInvalid,
        file,
        entryAt,
        `expected a user object, got ${describe(entry)}`,
      );
    }
    const source = { file, at: entryAt, record: entry };
    const username = requiredString(source, 'username');
    return {
      id: optionalString(source, 'id') ?? username,
      username,
      password: requiredString(source, 'password'),
      level: optionalInteger(source, 'level', 0, Number.MAX_SAFE_INTEGER) ?? 1,
    };
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
