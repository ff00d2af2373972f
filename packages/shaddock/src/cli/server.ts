import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadClusterConfig } from '../config/index.js';
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
  // the server's type among its arguments, as the master gives it: an entry that asks for it before
  // createApp() has read the config (Pomelo's synchronous createApp and configure(env, type, fn)) has it
  const typed = options.fields.some((field) => field.startsWith('serverType='));
  const listed = typed
    ? undefined
    : (await loadClusterConfig({ base: dir, env, environment })).servers.find((server) => server.id === id);
  const serverType = listed ? [`serverType=${listed.serverType}`] : [];
  process.argv = [
    process.argv[0] ?? process.execPath,
    entry,
    `env=${env}`,
    `id=${id}`,
    ...serverType,
    ...options.fields,
  ];
  await import(pathToFileURL(entry).href);
}
