import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, ErrorCode } from '../errors.js';

/**
 * The extensions tried for a config file, in this order, in each folder. Modules come after
 * JSON; `.ts` comes last because plain Node (before 22.6) cannot import it.
 */
const EXTENSIONS = ['.json', '.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'] as const;

/** One config file, read and narrowed to the environment. */
export interface ConfigFile {
  /** The path of the file that was read. */
  readonly file: string;
  /** The file's content for the environment. */
  readonly value: unknown;
  /** Where `value` sits in the file, as a field path prefix: `development` when env-keyed, `''` when flat. */
  readonly at: string;
}

/** Tells whether a file's content is keyed by environment (`{ development: …, production: … }`). */
export type IsEnvKeyed = (content: unknown) => boolean;

/** True for a plain object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `at.key`, or `key` at the top of a file. */
export function fieldPath(at: string, key: string): string {
  return at === '' ? key : `${at}.${key}`;
}

/**
 * Finds `config/<env>/<name>.*`, else `config/<name>.*`, under `base`, reads it, and narrows an
 * env-keyed file to `env`. Resolves to `undefined` when neither exists.
 */
export async function readConfigFile(
  base: string,
  env: string,
  name: string,
  isEnvKeyed: IsEnvKeyed,
): Promise<ConfigFile | undefined> {
  const file = await findConfigFile(base, env, name);
  if (file === undefined) return undefined;
  const content = await loadFile(file);
  if (!isEnvKeyed(content)) return { file, value: content, at: '' };
  const byEnv = content as Record<string, unknown>;
  if (!Object.hasOwn(byEnv, env)) {
    const known = Object.keys(byEnv).join(', ') || 'none';
    throw new ConfigError(
      ErrorCode.ConfigUnknownEnv,
      file,
      env,
      `unknown environment "${env}" (the file has: ${known})`,
    );
  }
  return { file, value: byEnv[env], at: env };
}

/** The paths `readConfigFile` looks at, for a "missing" message. */
export function configCandidates(base: string, env: string, name: string): string {
  const names = `${name}.{${EXTENSIONS.map((ext) => ext.slice(1)).join(',')}}`;
  return `config/${env}/${names} or config/${names} under ${base}`;
}

async function findConfigFile(base: string, env: string, name: string): Promise<string | undefined> {
  for (const folder of [path.join(base, 'config', env), path.join(base, 'config')]) {
    for (const ext of EXTENSIONS) {
      const file = path.join(folder, `${name}${ext}`);
      if (await isFile(file)) return file;
    }
  }
  return undefined;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

async function loadFile(file: string): Promise<unknown> {
  if (file.endsWith('.json')) return loadJson(file);
  return loadModule(file);
}

async function loadJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(ErrorCode.ConfigMissing, file, undefined, `cannot be read: ${messageOf(error)}`, {
      cause: error,
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfigError(ErrorCode.ConfigInvalid, file, undefined, `malformed JSON: ${messageOf(error)}`, {
      cause: error,
    });
  }
}

/** A module config: its default export, or the module itself when it has none. */
async function loadModule(file: string): Promise<unknown> {
  let loaded: unknown;
  try {
    loaded = await import(pathToFileURL(file).href);
  } catch (error) {
    throw new ConfigError(ErrorCode.ConfigInvalid, file, undefined, moduleFailure(file, error), {
      cause: error,
    });
  }
  if (!isRecord(loaded)) return loaded;
  if (loaded['default'] !== undefined) return loaded['default'];
  return { ...loaded };
}

function moduleFailure(file: string, error: unknown): string {
  const code = isRecord(error) ? error['code'] : undefined;
  if (code === 'ERR_UNKNOWN_FILE_EXTENSION' && /\.[mc]?ts$/.test(file)) {
    return (
      'this Node cannot import TypeScript: run the compiled app (which reads the emitted config/*.js), ' +
      'or start node with a TypeScript loader (tsx, or --experimental-strip-types on Node 22.6+)'
    );
  }
  return `the module failed to load: ${messageOf(error)}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
