import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Application } from '../server/index.js';
import { requireFile } from './components.js';

/** The part of a Pomelo application `app.get` reads (passed in: this module sits below it). */
export interface SettingSource {
  readonly native: Application | undefined;
  readonly sessionService: unknown;
  readonly backendSessionService: unknown;
  readonly channelService: unknown;
  readonly serverId: string;
  readonly serverType: string;
  readonly env: string;
  readonly base: string;
  readonly main: string;
  readonly curServer: unknown;
  readonly settings: Record<string, unknown>;
  getMaster(): unknown;
}

/** What `app.get(key)` answers: the names Pomelo apps read, else the setting. */
export function namedSetting(app: SettingSource, key: string): unknown {
  switch (key) {
    case 'sessionService':
      return app.native === undefined || app.native.services.has('sessionService')
        ? app.sessionService
        : undefined;
    case 'backendSessionService':
    case 'localSessionService':
      return app.backendSessionService;
    case 'channelService':
      return app.channelService;
    case 'serverId':
      return app.serverId;
    case 'serverType':
      return app.serverType;
    case 'env':
      return app.env;
    case 'base':
      return app.base;
    case 'main':
      return app.main;
    case 'curServer':
      return app.curServer;
    case 'masterServer':
    case 'master':
      return app.getMaster();
    default:
      return app.settings[key];
  }
}

/** Whether `configure([env], [serverType], fn)` runs `fn` here; the function it runs. */
export function configureChoice<App>(
  args: readonly unknown[],
  env: string,
  serverType: string,
): ((app: App) => void) | undefined {
  const configure = args.find((arg) => typeof arg === 'function') as ((app: App) => void) | undefined;
  const strings = args.filter((arg): arg is string => typeof arg === 'string');
  return matches(strings[0] ?? 'all', env) && matches(strings[1] ?? 'all', serverType)
    ? configure
    : undefined;
}

function matches(pattern: string, value: string): boolean {
  return pattern.split('|').some((part) => part.trim() === 'all' || part.trim() === value);
}

/** Pomelo's `loadConfig`: the file's `[env]` part if it has one, else the whole file. */
export function readConfigFile(file: string, env: string): unknown {
  const loaded = requireFile(file) as Record<string, unknown>;
  return loaded !== null && typeof loaded === 'object' && env in loaded ? loaded[env] : loaded;
}

/** Pomelo's `loadConfigBaseApp` lookup: `{base}/{path}`, else `{base}/config/{env}/{file}`. */
export function configBaseAppFile(base: string, env: string, relativePath: string): string {
  const first = path.join(base, relativePath);
  return existsSync(first) ? first : path.join(base, 'config', env, path.basename(relativePath));
}
