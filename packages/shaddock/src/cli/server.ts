import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCode, ShaddockError } from '../errors.js';
import { resolveEntry } from './start.js';

/** `shaddock server`'s options. */
export interface ServerOptions {
  dir: string;
  env?: string;
  id?: string;
  entry?: string;
  /** More `key=value` fields: a server that `servers.json` does not list describes itself with them. */
  fields: readonly string[];
}

/**
 * Runs ONE server of the app in this process, without a master: the app's entry is imported as if
 * it had been started as `node <entry> env=<env> id=<id> <fields…>`, so systemd, Kubernetes or any
 * supervisor runs a server with one command. The server joins the cluster through the membership
 * that `config/cluster.*` names (NATS), and stops gracefully on SIGINT/SIGTERM.
 */
export async function runServer(options: ServerOptions, environment: NodeJS.ProcessEnv): Promise<void> {
  const id = options.id ?? environment['SHADDOCK_SERVER_ID'];
  if (id === undefined || id === '') {
    // without an id the entry would start as the master
    throw new ShaddockError(ErrorCode.CliUsage, 'server needs --id <serverId> (or SHADDOCK_SERVER_ID)');
  }
  const dir = resolve(options.dir);
  const entry = resolveEntry(dir, options.entry);
  const env = options.env ?? environment['NODE_ENV'] ?? 'development';
  environment['SHADDOCK_BASE'] ||= dir;
  process.argv = [process.argv[0] ?? process.execPath, entry, `env=${env}`, `id=${id}`, ...options.fields];
  await import(pathToFileURL(entry).href);
}
