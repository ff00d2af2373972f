import type { ServerInfo } from 'shaddock';

/**
 * What a server puts under its id in the members bucket (JSON, readable with `nats kv get`): its
 * `ServerInfo` as given, and the process behind it. A new `incarnation` under a known id is a
 * restart: the others see the old one leave and the new one join.
 */
export interface MemberRecord {
  /** The format's version. */
  readonly v: 1;
  readonly server: ServerInfo;
  readonly pid: number;
  /** When the process announced itself (epoch ms). */
  readonly startedAt: number;
  /** Unique per announcement: tells a restart from a heartbeat. */
  readonly incarnation: string;
}

/** Why an entry of the bucket was not taken. */
export type RecordProblem = 'not JSON' | 'not a member record' | 'bad server info' | 'key is not its id';

/** The bytes a member puts on every heartbeat (encoded once). */
export function encodeRecord(record: MemberRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(record));
}

/** Reads the entry under `key`; a {@link RecordProblem} when it is no record of the server `key`. */
export function decodeRecord(key: string, bytes: Uint8Array): MemberRecord | RecordProblem {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return 'not JSON';
  }
  if (!isRecord(value) || value['v'] !== 1 || !isRecord(value['server'])) return 'not a member record';
  const { server, pid, startedAt, incarnation } = value;
  if (typeof pid !== 'number' || typeof startedAt !== 'number' || typeof incarnation !== 'string')
    return 'not a member record';
  if (!isServerInfo(server)) return 'bad server info';
  if (server.id !== key) return 'key is not its id';
  return { v: 1, server, pid, startedAt, incarnation };
}

/** Whether `value` has what every member needs: an id, a type, a host, numeric ports. */
function isServerInfo(value: Record<string, unknown>): value is Record<string, unknown> & ServerInfo {
  const { id, serverType, host, port, clientPort, frontend } = value;
  return (
    typeof id === 'string' &&
    id !== '' &&
    typeof serverType === 'string' &&
    serverType !== '' &&
    typeof host === 'string' &&
    (port === undefined || typeof port === 'number') &&
    (clientPort === undefined || typeof clientPort === 'number') &&
    typeof frontend === 'boolean'
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether two byte strings are the same (a heartbeat repeats its bytes exactly). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}
