import { ErrorCode, ShaddockError } from '../errors.js';
import type { ServerInfo } from '../membership/index.js';

/**
 * Fields an `add` from the wire may never set, and why: each would let an admin connection choose
 * what runs (Node options, `-e <code>`), or act on the machine beyond the cluster.
 */
const REFUSED_FIELDS: Readonly<Record<string, string>> = Object.freeze({
  args: "Node options come only from servers.json on the master's disk (list the server there)",
  execArgv: "Node options come only from servers.json on the master's disk (list the server there)",
  'restart-force': "it kills whatever holds the port; it comes only from servers.json on the master's disk",
  env: "the environment is the master's",
  masterHost: "the master's address is the master's",
  masterPort: "the master's address is the master's",
});

// Ids and types name files (logs, app/servers/<type>/): no separator, no leading dot.
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const HOST = /^[A-Za-z0-9][A-Za-z0-9.:%_-]{0,254}$/;
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
const MAX_FIELDS = 64;
const MAX_VALUE_LENGTH = 1_024;

function refuse(message: string): ShaddockError {
  return new ShaddockError(ErrorCode.AdminCommandFailed, `add: ${message}`);
}

function isFields(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function name(value: unknown, field: string): string {
  if (typeof value !== 'string' || !NAME.test(value))
    throw refuse(
      `"${field}" must be letters, digits, "_", "." or "-" (at most 128, not starting with "." or "-")`,
    );
  return value;
}

function host(value: unknown, field: string): string {
  if (typeof value !== 'string' || !HOST.test(value))
    throw refuse(`"${field}" must be a host name or an IP address`);
  return value;
}

function port(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65_535)
    throw refuse(`"${field}" must be a port number`);
  return value;
}

function flag(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw refuse(`"${field}" must be true or false`);
  return value;
}

/** Reads one known field, or `undefined` when `key` is an app field. */
const KNOWN: Readonly<Record<string, (value: unknown, key: string) => string | number | boolean>> = {
  host,
  clientHost: host,
  port,
  clientPort: port,
  frontend: flag,
  'auto-restart': flag,
  'max-connections': (value, key) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
      throw refuse(`"${key}" must be a whole number`);
    return value;
  },
};

function appValue(value: unknown, key: string): string | number | boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.length <= MAX_VALUE_LENGTH) return value;
  throw refuse(`"${key}" must be a string (at most ${MAX_VALUE_LENGTH} characters), a number or true/false`);
}

/**
 * A server to `add`, from what an admin connection sent: only an allow-list of fields (`id`,
 * `serverType`, `host`, `port`, `clientHost`, `clientPort`, `frontend`, `max-connections`,
 * `auto-restart`) and app fields that are plain values (string, number, boolean). Node options
 * (`args`), `restart-force` and the process's identity (`env`, `masterHost`, `masterPort`) are
 * refused with a coded error saying why: they come only from `servers.json` on the master's disk.
 *
 * @example
 * serverFromWire({ id: 'chat-3', serverType: 'chat', host: '127.0.0.1', port: 4053 });
 * serverFromWire({ id: 'x', serverType: 'chat', host: '127.0.0.1', args: ['-e', '…'] }); // throws
 */
export function serverFromWire(value: unknown): ServerInfo {
  if (!isFields(value)) throw refuse('needs a server: { id, serverType, host, … }');
  const keys = Object.keys(value);
  if (keys.length > MAX_FIELDS) throw refuse(`a server has at most ${MAX_FIELDS} fields`);
  for (const key of keys) {
    const why = REFUSED_FIELDS[key];
    if (why !== undefined) throw refuse(`"${key}" cannot come from an admin connection: ${why}`);
    if (!FIELD_NAME.test(key)) throw refuse(`"${key.slice(0, 64)}" is not a field name`);
  }
  for (const field of ['id', 'serverType', 'host'] as const) {
    if (value[field] === undefined) throw refuse(`the server needs a "${field}"`);
  }
  const serverType = name(value['serverType'], 'serverType');
  if (serverType === 'master') throw refuse('"serverType" cannot be master');
  const server: Record<string, string | number | boolean> = {
    id: name(value['id'], 'id'),
    serverType,
    host: host(value['host'], 'host'),
    frontend: false,
  };
  for (const key of keys) {
    const field = value[key];
    if (key === 'id' || key === 'serverType' || key === 'host' || field === undefined || field === null)
      continue;
    const known = KNOWN[key];
    server[key] = known ? known(field, key) : appValue(field, key);
  }
  return server as unknown as ServerInfo;
}

/**
 * `server` (from the wire, see {@link serverFromWire}) with the fields that only the config on
 * disk may set taken from `servers.json`'s entry of the same id, if it lists one: its Node options
 * (`args`) and `restart-force`.
 */
export function withDiskOnlyFields(server: ServerInfo, listed: readonly ServerInfo[]): ServerInfo {
  const entry = listed.find((candidate) => candidate.id === server.id);
  if (!entry) return server;
  const kept: Record<string, unknown> = {};
  if (entry.args !== undefined) kept['args'] = entry.args;
  if (entry['restart-force'] !== undefined) kept['restart-force'] = entry['restart-force'];
  return { ...server, ...kept } as ServerInfo;
}
