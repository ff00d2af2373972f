import { readdir } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCode, ShaddockError } from '../errors.js';

const SOURCE_EXTENSIONS = new Set(['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts']);

/**
 * Loads one `app/servers/<type>/<kind>` folder into named objects. The service
 * `serverFolderLoader` replaces the default ({@link loadRemotes} with the application as context),
 * so a compatibility layer can give the files its own context and adapt what they export.
 */
export type ServerFolderLoader = (folder: string, kind: 'handler' | 'remote') => Promise<Map<string, object>>;

/** How {@link loadRemotes} builds each remote. */
export interface LoadRemotesOptions {
  /** Passed to a factory or class default export (the application, in Pomelo's convention). */
  context?: unknown;
}

/**
 * Loads every remote of a `app/servers/<type>/remote` folder: one per `*.{js,ts}` file (type
 * declarations, tests and source maps skipped), named after the file without its extension.
 * A file's default export is the remote object, a class (instantiated with `context`), or a
 * factory `(context) => remote` (which may be async). A missing folder holds no remotes.
 *
 * @example
 * for (const [name, remote] of await loadRemotes('app/servers/chat/remote', { context: app }))
 *   registry.registerRemote('chat', name, remote);
 */
export async function loadRemotes(
  directory: string,
  options: LoadRemotesOptions = {},
): Promise<Map<string, object>> {
  const files = await listRemoteFiles(directory);
  const remotes = new Map<string, object>();
  for (const file of files) {
    const name = basename(file, extname(file));
    if (remotes.has(name)) {
      throw new ShaddockError(ErrorCode.RemoteInvalid, `${directory}: two files define the remote ${name}`);
    }
    const module = (await import(pathToFileURL(resolve(directory, file)).href)) as { default?: unknown };
    remotes.set(name, await instantiate(module.default, options.context, join(directory, file)));
  }
  return remotes;
}

async function listRemoteFiles(directory: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries
    .filter(
      (file) => SOURCE_EXTENSIONS.has(extname(file)) && !/\.d\.[mc]?ts$|\.test(-d)?\.[mc]?[jt]s$/.test(file),
    )
    .sort();
}

async function instantiate(exported: unknown, context: unknown, file: string): Promise<object> {
  let remote: unknown = exported;
  if (typeof exported === 'function') {
    remote = isClass(exported)
      ? new (exported as new (context: unknown) => unknown)(context)
      : await (exported as (context: unknown) => unknown)(context);
  }
  if (typeof remote !== 'object' || remote === null) {
    throw new ShaddockError(
      ErrorCode.RemoteInvalid,
      `${file}: the default export must be a remote object, a class or a factory returning one`,
    );
  }
  return remote;
}

function isClass(value: object): boolean {
  return Function.prototype.toString.call(value).startsWith('class');
}
