import { createHash, timingSafeEqual } from 'node:crypto';
import type { AdminUser } from '../config/index.js';

/** How to get an admin user, said in every refusal caused by having none. */
export const HOW_TO_ADD_ADMIN_USER =
  'add one to config/adminUser.json ([{ "id": "admin", "username": "admin", "password": "<secret>", "level": 1 }]) ' +
  "or set SHADDOCK_ADMIN_USER=<username>:<password> in the master's environment";

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * The user with these credentials, if any. Compares digests with `timingSafeEqual` and looks at
 * every user, so the time taken says nothing about which part was wrong.
 */
export function authenticate(
  users: readonly AdminUser[],
  username: string,
  password: string,
): AdminUser | undefined {
  const name = digest(username);
  const secret = digest(password);
  let found: AdminUser | undefined;
  for (const user of users) {
    const nameMatches = timingSafeEqual(name, digest(user.username));
    const secretMatches = timingSafeEqual(secret, digest(user.password));
    if (nameMatches && secretMatches && found === undefined) found = user;
  }
  return found;
}
