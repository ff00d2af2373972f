import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DriverConfig } from '../config/index.js';
import { ConfigError, ErrorCode } from '../errors.js';
import type { Drivers } from './drivers.js';

/**
 * What a scale-out driver package (`@shaddock/nats`, `@shaddock/redis`) exports: the drivers it
 * provides for a cluster's config. `createApp` loads the packages `config/cluster.*` names.
 */
export interface DriverPackage {
  createDrivers(config: DriverConfig): Drivers;
}

/**
 * The drivers the cluster's config asks for: `@shaddock/nats` when it names NATS, `@shaddock/redis`
 * when it names Redis, each imported from the app's own dependencies. Later entries win: Redis
 * (stores) over NATS (membership, link); explicit `createApp` drivers win over both.
 */
export async function configuredDrivers(config: DriverConfig, base: string): Promise<Drivers> {
  let drivers: Drivers = {};
  if (config.nats !== undefined)
    drivers = { ...drivers, ...(await load('@shaddock/nats', base)).createDrivers(config) };
  if (config.redis !== undefined)
    drivers = { ...drivers, ...(await load('@shaddock/redis', base)).createDrivers(config) };
  return drivers;
}

async function load(name: string, base: string): Promise<DriverPackage> {
  let module: Partial<DriverPackage>;
  try {
    module = (await import(resolveFrom(name, base))) as Partial<DriverPackage>;
  } catch (error) {
    throw new ConfigError(
      ErrorCode.ConfigInvalid,
      path.join(base, 'config', 'cluster.json'),
      undefined,
      `the cluster's config needs ${name}, which cannot be loaded (npm install ${name}): ${String(error)}`,
    );
  }
  if (typeof module.createDrivers !== 'function') {
    throw new ConfigError(
      ErrorCode.ConfigInvalid,
      path.join(base, 'config', 'cluster.json'),
      undefined,
      `${name} exports no createDrivers(config): is it a Shaddock driver package?`,
    );
  }
  return module as DriverPackage;
}

/** The package as the app resolves it (its own node_modules), else as Shaddock does. */
function resolveFrom(name: string, base: string): string {
  try {
    return pathToFileURL(createRequire(path.join(base, 'package.json')).resolve(name)).href;
  } catch {
    return name;
  }
}
