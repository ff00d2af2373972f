import { isRecord } from './config-file.js';
import { recordList, requiredString } from './fields.js';

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
  const names = { list: '{ "type", "token" }', entry: '{ "type", "token" }' };
  return recordList(file, content, at, names).map((source) => {
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
