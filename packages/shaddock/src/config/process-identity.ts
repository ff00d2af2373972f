import type { JsonValue } from '@shaddock/protocol';
import { ConfigError, ErrorCode } from '../errors.js';

/** Who this process is: read from its `key=value` arguments, else from the environment. */
export interface ProcessIdentity {
  /** Argument `env`, else `NODE_ENV`, else `'development'`. */
  readonly env: string;
  /** Argument `id`, else `SHADDOCK_SERVER_ID`; `undefined` means this process is the master. */
  readonly serverId: string | undefined;
  /** Argument `serverType`, else `SHADDOCK_SERVER_TYPE`. */
  readonly serverType: string | undefined;
  /** Arguments `masterHost`/`masterPort`, else `SHADDOCK_MASTER_HOST`/`SHADDOCK_MASTER_PORT`. */
  readonly master: { readonly host: string; readonly port: number } | undefined;
  /** Every `key=value` argument, its value parsed (see {@link parseArgumentValue}). */
  readonly fields: Readonly<Record<string, JsonValue>>;
}

/** The argument names that say who the process is rather than describe the server. */
export const IDENTITY_KEYS: ReadonlySet<string> = new Set([
  'env',
  'id',
  'serverType',
  'masterHost',
  'masterPort',
]);

const ARGUMENTS = 'command-line arguments';
const ENVIRONMENT = 'environment';

/**
 * Reads this process's identity. Each argument written `key=value` (split at the first `=`) is a
 * field, as Pomelo passes them; arguments without `=` or starting with `-` are not fields. An
 * empty value counts as absent. Throws a `ConfigError` when the master's address is half given
 * or its port is not a port.
 *
 * @example
 * // node app.js env=production id=connector-1 serverType=connector masterHost=10.0.0.1 masterPort=3005
 * const identity = readProcessIdentity();
 * identity.serverId; // 'connector-1'
 */
export function readProcessIdentity(
  argv: readonly string[] = process.argv.slice(2),
  environment: NodeJS.ProcessEnv = process.env,
): ProcessIdentity {
  const raw = new Map<string, string>();
  const fields: Record<string, JsonValue> = {};
  for (const argument of argv) {
    const equals = argument.indexOf('=');
    if (equals <= 0 || argument.startsWith('-')) continue;
    const key = argument.slice(0, equals);
    const value = argument.slice(equals + 1);
    raw.set(key, value);
    fields[key] = parseArgumentValue(value);
  }
  const pick = (key: string, variable: string): string | undefined =>
    nonEmpty(raw.get(key)) ?? nonEmpty(environment[variable]);
  return {
    env: pick('env', 'NODE_ENV') ?? 'development',
    serverId: pick('id', 'SHADDOCK_SERVER_ID'),
    serverType: pick('serverType', 'SHADDOCK_SERVER_TYPE'),
    master: readMasterAddress(raw, environment),
    fields,
  };
}

/**
 * Parses one argument value the way Pomelo does, plus JSON: digits without a dot (optionally
 * signed, within the safe integers) are a number, `true`/`false` a boolean, a value starting with
 * `[`, `{` or `"` that is valid JSON is that JSON (how `serverArguments` passes arrays, objects and
 * strings that would otherwise read back as something else); anything else stays a string.
 */
export function parseArgumentValue(value: string): JsonValue {
  if (/^-?\d+$/.test(value)) {
    const number = Number(value);
    return Number.isSafeInteger(number) ? number : value;
  }
  if (value === 'true') return true;
  if (value === 'false') return false;
  const first = value[0];
  if (first === '[' || first === '{' || first === '"') {
    try {
      return JSON.parse(value) as JsonValue;
    } catch {
      return value;
    }
  }
  return value;
}

function readMasterAddress(
  raw: ReadonlyMap<string, string>,
  environment: NodeJS.ProcessEnv,
): ProcessIdentity['master'] {
  const hostArg = nonEmpty(raw.get('masterHost'));
  const portArg = nonEmpty(raw.get('masterPort'));
  const host = hostArg ?? nonEmpty(environment['SHADDOCK_MASTER_HOST']);
  const port = portArg ?? nonEmpty(environment['SHADDOCK_MASTER_PORT']);
  if (host === undefined && port === undefined) return undefined;
  // A missing half is named where the given half came from.
  if (host === undefined) {
    const [file, field] =
      portArg === undefined ? [ENVIRONMENT, 'SHADDOCK_MASTER_HOST'] : [ARGUMENTS, 'masterHost'];
    throw new ConfigError(ErrorCode.ConfigInvalid, file, field, 'the master port is given without a host');
  }
  if (port === undefined) {
    const [file, field] =
      hostArg === undefined ? [ENVIRONMENT, 'SHADDOCK_MASTER_PORT'] : [ARGUMENTS, 'masterPort'];
    throw new ConfigError(ErrorCode.ConfigInvalid, file, field, 'the master host is given without a port');
  }
  const number = /^\d+$/.test(port) ? Number(port) : Number.NaN;
  if (!(number <= 65535)) {
    const [file, field] =
      portArg === undefined ? [ENVIRONMENT, 'SHADDOCK_MASTER_PORT'] : [ARGUMENTS, 'masterPort'];
    throw new ConfigError(
      ErrorCode.ConfigInvalid,
      file,
      field,
      `"${port}" is not a port (an integer 0–65535)`,
    );
  }
  return { host, port: number };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}
