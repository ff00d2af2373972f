import { ConfigError, ErrorCode } from '../errors.js';
import { isRecord } from './config-file.js';
import { describe, requiredString } from './fields.js';

/**
 * A flat `adminServer` file is a list; an env-keyed one is an object of lists.
 */
export function adminServersAreEnvKeyed(content: unknown): boolean {
  return isRecord(content);
}

/**
 * Reads Pomelo's `config/adminServer.json`, `[{ "type": "<serverType>", "token": "…" }]`, for one
 * environment, and resolves to the server types it names. Pomelo checks such a token when a
 * server registers with its master; Shaddock does not use them (every server proves it knows the
 * cluster secret instead, on every connection), so a caller only reports that they are ignored.
 */
export function readAdminServers(file: string, content: unknown, at: string): string[] {
  if (!Array.isArray(content)) {
    throw new ConfigError(
      ErrorCode.ConfigInvalid,
      file,
      at === '' ? undefined : at,
      `expected a list of { "type", "token" }, got ${describe(content)}`,
    );
  }
  return content.map((entry: unknown, index) => {
    const entryAt = `${at}[${index}]`;
    if (!isRecord(entry)) {
      throw new ConfigError(
        ErrorCode.ConfigInvalid,
        file,
        entryAt,
        `expected { "type", "token" }, got ${describe(entry)}`,
      );
    }
    const source = { file, at: entryAt, record: entry };
    requiredString(source, 'token');
    return requiredString(source, 'type');
  });
}

/** The start-up line about an `adminServer` file that was read (it is not used). */
export function adminServersNotice(file: string, types: readonly string[]): string {
  const named = types.length === 0 ? 'no server type' : types.join(', ');
  return (
    `${file} (tokens for ${named}) is read and not used: Shaddock authenticates every server with the ` +
    'cluster secret ("secret" in config/cluster.json or SHADDOCK_CLUSTER_SECRET), on every connection, not with per-type tokens'
  );
}
