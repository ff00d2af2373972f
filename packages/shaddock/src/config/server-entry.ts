import type { ServerInfo } from '../membership/index.js';
import {
  type FieldSource,
  freeField,
  invalid,
  optionalArgs,
  optionalBoolean,
  optionalInteger,
  optionalPort,
  optionalString,
  requiredString,
  SERVER_FIELDS,
} from './fields.js';

type MutableServerInfo = { -readonly [K in keyof ServerInfo]: ServerInfo[K] };

/** The fields `normalizeServer` reads with a type; every other field is a free app field. */
const TYPED_FIELDS: ReadonlySet<string> = new Set(SERVER_FIELDS);

/** Names the process identity uses for itself; a server field with one would be read as the identity. */
const RESERVED_FIELDS: ReadonlySet<string> = new Set(['env', 'masterHost', 'masterPort']);

/**
 * Turns one raw server entry (from `servers.json`, or from `key=value` arguments) into a
 * `ServerInfo`: `serverType` from its list, Pomelo's fields typed (numbers and booleans accepted
 * as strings), `args` as a list, free fields kept as written. `clusterCount` must already be
 * expanded; it is dropped here.
 */
export function normalizeServer(source: FieldSource, serverType: string): ServerInfo {
  const info: MutableServerInfo = {
    id: requiredString(source, 'id'),
    serverType,
    host: requiredString(source, 'host'),
    frontend: optionalBoolean(source, 'frontend') ?? false,
  };
  const port = optionalPort(source, 'port');
  if (port !== undefined) info.port = port;
  const clientHost = optionalString(source, 'clientHost');
  if (clientHost !== undefined) info.clientHost = clientHost;
  const clientPort = optionalPort(source, 'clientPort');
  if (clientPort !== undefined) info.clientPort = clientPort;
  if (info.frontend && clientPort === undefined) {
    throw invalid(source, 'clientPort', `frontend server "${info.id}" has no "clientPort"`);
  }
  const maxConnections = optionalInteger(source, 'max-connections', 0, Number.MAX_SAFE_INTEGER);
  if (maxConnections !== undefined) info['max-connections'] = maxConnections;
  const autoRestart = optionalBoolean(source, 'auto-restart');
  if (autoRestart !== undefined) info['auto-restart'] = autoRestart;
  const restartForce = optionalBoolean(source, 'restart-force');
  if (restartForce !== undefined) info['restart-force'] = restartForce;
  const args = optionalArgs(source, 'args');
  if (args !== undefined) info.args = args;

  for (const key of Object.keys(source.record)) {
    if (TYPED_FIELDS.has(key)) continue;
    // Every field travels to the server's process as `key=value`: `=` or a leading `-` would break that.
    if (key === '' || key.includes('=') || key.startsWith('-')) {
      throw invalid(
        source,
        key,
        `field name "${key}" cannot be passed as key=value (empty, "=" or leading "-")`,
      );
    }
    if (RESERVED_FIELDS.has(key)) {
      throw invalid(
        source,
        key,
        `"${key}" is reserved for the process identity and cannot be a server field`,
      );
    }
    const value = freeField(source, key);
    if (value !== undefined) info[key] = value;
  }
  return info;
}
