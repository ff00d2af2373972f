import { ConfigError, ErrorCode } from '../errors.js';
import type { ServerInfo } from '../membership/index.js';
import { expandCluster } from './cluster-count.js';
import { fieldPath, isRecord } from './config-file.js';
import { describe, invalid, likelyField, SERVER_FIELDS } from './fields.js';
import { normalizeServer } from './server-entry.js';

/**
 * A flat servers file maps server types to arrays; an env-keyed one maps environments to such
 * maps, so every value of an env-keyed file is an object.
 */
export function serversAreEnvKeyed(content: unknown): boolean {
  if (!isRecord(content)) return false;
  const values = Object.values(content);
  return values.length > 0 && values.every(isRecord);
}

interface Placed {
  readonly server: ServerInfo;
  /** The entry's path in the file, for errors (`development.connector[0]`). */
  readonly at: string;
}

/**
 * Reads a servers map (`{ "<serverType>": [ {id, host, port, …} ] }`) for one environment:
 * every server normalized, `clusterCount` expanded, in file order; then checks that ids are
 * unique and that no two servers listen on the same port of the same host. A field that closely
 * misspells one Shaddock reads (`frontEnd`, `clientport`) is kept as an app field, as every unknown
 * field is, and `notices` gets a line naming it and the field it likely means.
 */
export function readServers(
  file: string,
  content: unknown,
  at: string,
  notices: string[] = [],
): ServerInfo[] {
  if (!isRecord(content)) {
    throw new ConfigError(
      ErrorCode.ConfigInvalid,
      file,
      at === '' ? undefined : at,
      `expected an object mapping server types to lists of servers, got ${describe(content)}`,
    );
  }
  const sequences = new Map<string, number>();
  const placed: Placed[] = [];
  for (const [serverType, list] of Object.entries(content)) {
    const listAt = fieldPath(at, serverType);
    if (!Array.isArray(list)) {
      throw new ConfigError(
        ErrorCode.ConfigInvalid,
        file,
        listAt,
        `expected a list of servers, got ${describe(list)}`,
      );
    }
    list.forEach((entry: unknown, index) => {
      const entryAt = `${listAt}[${index}]`;
      if (!isRecord(entry)) {
        throw new ConfigError(
          ErrorCode.ConfigInvalid,
          file,
          entryAt,
          `expected a server object, got ${describe(entry)}`,
        );
      }
      notices.push(...misspelt(file, entryAt, entry));
      for (const record of expandCluster({ file, at: entryAt, record: entry }, serverType, sequences)) {
        placed.push({ server: normalizeServer({ file, at: entryAt, record }, serverType), at: entryAt });
      }
    });
  }
  checkUnique(file, placed);
  return placed.map(({ server }) => server);
}

/** A line for each field of `entry` that looks like a known server field misspelt. */
function misspelt(file: string, at: string, entry: Readonly<Record<string, unknown>>): string[] {
  const lines: string[] = [];
  for (const key of Object.keys(entry)) {
    const meant = likelyField(key, SERVER_FIELDS);
    if (meant === undefined) continue;
    lines.push(
      `${file} ${fieldPath(at, key)}: "${key}" is not a server field Shaddock reads, so it is kept as an ` +
        `app field; did you mean "${meant}"?`,
    );
  }
  return lines;
}

function checkUnique(file: string, placed: readonly Placed[]): void {
  const ids = new Map<string, Placed>();
  const ports = new Map<string, { readonly by: Placed; readonly key: string }>();
  for (const entry of placed) {
    const { server } = entry;
    const source = { file, at: entry.at, record: {} };
    const first = ids.get(server.id);
    if (first !== undefined) {
      throw invalid(source, 'id', `duplicate server id "${server.id}" (also at ${first.at})`);
    }
    ids.set(server.id, entry);
    for (const key of ['port', 'clientPort'] as const) {
      const port = server[key];
      // Port 0 asks the OS for a free port, so it never clashes.
      if (port === undefined || port === 0) continue;
      const slot = `${hostKey(server.host)}:${port}`;
      const taken = ports.get(slot);
      if (taken !== undefined) {
        throw invalid(
          source,
          key,
          `port ${port} of host "${server.host}" is taken twice: "${server.id}" ${key} and ` +
            `"${taken.by.server.id}" ${taken.key} (${fieldPath(taken.by.at, taken.key)})`,
        );
      }
      ports.set(slot, { by: entry, key });
    }
  }
}

/** The loopback names are one host. */
function hostKey(host: string): string {
  return host === 'localhost' || host === '127.0.0.1' || host === '::1' ? 'loopback' : host;
}
