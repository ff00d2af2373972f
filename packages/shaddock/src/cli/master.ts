import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadClusterConfig } from '../config/index.js';
import { ErrorCode, ShaddockError } from '../errors.js';
import { MASTER_SPAWN_ENV } from '../master/index.js';
import { MASTER_TYPE } from '../membership/index.js';
import { resolveEntry } from './start.js';

/** `shaddock master`'s options. */
export interface MasterCommandOptions {
  dir: string;
  env?: string;
  /** This master's id (default: `config/master.*`); two masters of one cluster need two ids. */
  id?: string;
  /** The host admins reach it on (default: `config/master.*`). */
  host?: string;
  /** The admin port (default: `config/master.*`; 0 lets the OS choose). */
  port?: number;
  entry?: string;
  /** Spawn the servers `servers.json` lists for this host that run nowhere yet. */
  spawn?: boolean;
}

/**
 * Runs a master of a scale-out cluster in this process, in the foreground: the app's entry is
 * imported as if started as `node <entry> env=<env> id=<id> serverType=master host=<host>
 * port=<port>`, so it joins the cluster that `config/cluster.*` names (NATS) as one more master.
 * Any number of masters may run, on any hosts; one leads, and a standby takes over when it dies.
 * It spawns no server unless `spawn`, and its servers outlive it. SIGINT/SIGTERM: it leaves.
 */
export async function runMasterCommand(
  options: MasterCommandOptions,
  environment: NodeJS.ProcessEnv,
): Promise<void> {
  const dir = resolve(options.dir);
  const entry = resolveEntry(dir, options.entry);
  const env = options.env ?? environment['NODE_ENV'] ?? 'development';
  const config = await loadClusterConfig({ base: dir, env, environment });
  if (config.drivers.nats === undefined) {
    throw new ShaddockError(
      ErrorCode.CliUsage,
      'shaddock master runs a master of a scale-out cluster, which needs NATS: set "nats" in config/cluster.json ' +
        '(or SHADDOCK_NATS_URL). One machine without NATS: shaddock start',
    );
  }
  const id = options.id ?? config.master.id;
  if (config.servers.some((server) => server.id === id)) {
    throw new ShaddockError(
      ErrorCode.CliUsage,
      `master id "${id}" is a server's id in servers.json: choose another (--id)`,
    );
  }
  const host = options.host ?? config.master.host;
  const port = options.port ?? config.master.port;
  environment['SHADDOCK_BASE'] ||= dir;
  environment[MASTER_SPAWN_ENV] = options.spawn ? '1' : '0';
  // `serverType=master` with an id makes the entry a master, not a server (createApp)
  const fields = [`env=${env}`, `id=${id}`, `serverType=${MASTER_TYPE}`, `host=${host}`, `port=${port}`];
  process.argv = [process.argv[0] ?? process.execPath, entry, ...fields];
  await import(pathToFileURL(entry).href);
}
