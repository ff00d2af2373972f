import type { JsonValue } from '@shaddock/protocol';
import { ConfigError, ErrorCode } from '../errors.js';
import type { ServerInfo } from '../membership/index.js';
import { IDENTITY_KEYS, type ProcessIdentity, parseArgumentValue } from './process-identity.js';
import { normalizeServer } from './server-entry.js';

/**
 * The `key=value` arguments that start `server`'s process (Pomelo passes every server field so):
 * each field of the server but `args` (those are Node's, put before the entry), then `extra`
 * (such as `env`, `masterHost`, `masterPort`), which replaces a field of the same name. Arrays and
 * objects are JSON; a string that would read back as something else (`"3"`, `"true"`, `"[x]"`) is
 * JSON-quoted; `null` fields are left out. `readProcessIdentity` reads them back.
 *
 * @example
 * spawn(process.execPath, [...(server.args ?? []), entry, ...serverArguments(server, { env: 'production' })]);
 */
export function serverArguments(
  server: ServerInfo,
  extra: Readonly<Record<string, string | number | boolean>> = {},
): string[] {
  const values = new Map<string, JsonValue>();
  for (const [key, value] of Object.entries(server)) {
    if (key !== 'args' && value !== undefined && value !== null) values.set(key, value);
  }
  for (const [key, value] of Object.entries(extra)) values.set(key, value);
  const result: string[] = [];
  for (const [key, value] of values) {
    if (key === '' || key.includes('=') || key.startsWith('-')) {
      throw new ConfigError(
        ErrorCode.ConfigInvalid,
        `arguments of server ${server.id}`,
        key,
        'a field name passed as key=value cannot be empty, hold "=" or start with "-"',
      );
    }
    result.push(`${key}=${encodeValue(value)}`);
  }
  return result;
}

function encodeValue(value: JsonValue): string {
  if (typeof value === 'string') return parseArgumentValue(value) === value ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * Rebuilds this process's `ServerInfo` from its arguments (for a server added at run time, which
 * `servers.json` does not list): every field but the identity's own (`env`, `id`, `serverType`,
 * `masterHost`, `masterPort`), typed and checked as in `servers.json`. `undefined` when the
 * process is the master, or when its arguments lack a `serverType` or a `host`. Throws a
 * `ConfigError` when a field is invalid (say `port=abc`).
 */
export function serverInfoFromIdentity(identity: ProcessIdentity): ServerInfo | undefined {
  const { serverId, serverType, fields } = identity;
  if (serverId === undefined || serverType === undefined || typeof fields['host'] !== 'string')
    return undefined;
  const record: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (!IDENTITY_KEYS.has(key)) record[key] = value;
  }
  record['id'] = serverId;
  return normalizeServer({ file: 'command-line arguments', at: '', record }, serverType);
}
