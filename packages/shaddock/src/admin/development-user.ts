import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AdminUser } from '../config/index.js';
import { ErrorCode, ShaddockError } from '../errors.js';

/** Where, under the app's folder, the master of a development cluster keeps the admin user it generated. */
export const DEVELOPMENT_ADMIN_FILE = path.join('.shaddock', 'admin-user.json');

/** The environment in which a master without any admin user generates one. */
export const DEVELOPMENT_ENV = 'development';

/** The file of the generated development admin user of the app in `base`. */
export function developmentAdminFile(base: string): string {
  return path.join(base, DEVELOPMENT_ADMIN_FILE);
}

/** The generated development admin user of the app in `base`, or `undefined` when there is none (yet). */
export async function readDevelopmentAdmin(base: string): Promise<AdminUser | undefined> {
  const file = developmentAdminFile(base);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseDevelopmentAdmin(file, text);
}

/** The one user of the generated file (`[{ id, username, password, level }]`). */
function parseDevelopmentAdmin(file: string, text: string): AdminUser {
  let content: unknown;
  try {
    content = JSON.parse(text);
  } catch {
    content = undefined;
  }
  const entry = Array.isArray(content) ? (content[0] as Record<string, unknown> | undefined) : undefined;
  const { username, password, level } = entry ?? {};
  if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
    throw new ShaddockError(
      ErrorCode.ConfigInvalid,
      `${file} is not a generated admin user ([{ "username", "password", "level" }]): delete it, and the master makes a new one`,
    );
  }
  const id = typeof entry?.['id'] === 'string' ? entry['id'] : username;
  return { id, username, password, level: typeof level === 'number' && level >= 1 ? level : 1 };
}

/**
 * The generated development admin user an admin in the app folder `dir` logs in as: the one of
 * `dir`, else of `dir/dist` (a compiled app whose `dist/` holds a copy of `config/` runs with
 * `dist/` as its base, so its master writes there).
 */
export async function findDevelopmentAdmin(dir: string): Promise<AdminUser | undefined> {
  return (await readDevelopmentAdmin(dir)) ?? (await readDevelopmentAdmin(path.join(dir, 'dist')));
}

/**
 * The development admin user of the app in `base`: the one generated before, else a new one
 * (`admin`, a random password, level 1) written to `<base>/.shaddock/admin-user.json`, readable
 * by its owner only, in a folder that git ignores (it holds its own `.gitignore`). `created` says
 * whether it was made now. The CLI reads it when it has no other credentials, in development.
 */
export async function ensureDevelopmentAdmin(
  base: string,
): Promise<{ user: AdminUser; file: string; created: boolean }> {
  const file = developmentAdminFile(base);
  const known = await readDevelopmentAdmin(base);
  if (known) return { user: known, file, created: false };
  const folder = path.dirname(file);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  await writeFile(path.join(folder, '.gitignore'), '*\n', { flag: 'w' });
  const user = { id: 'admin', username: 'admin', password: randomBytes(24).toString('base64url'), level: 1 };
  try {
    await writeFile(file, `${JSON.stringify([user], null, 2)}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    // another master of the same app folder wrote it first: use that one
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const written = await readDevelopmentAdmin(base);
    if (written) return { user: written, file, created: false };
    throw error;
  }
  // the umask may have taken bits from the mode asked for, never added: make sure of 0600
  await chmod(file, 0o600);
  return { user, file, created: true };
}
