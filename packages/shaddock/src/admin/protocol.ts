import type { ServerInfo } from '../membership/index.js';

/** Where a server is in its life, as the master sees it. */
export type ServerState = 'starting' | 'running' | 'stopping' | 'stopped' | 'crashed';

/** The CPU time a process used, in microseconds (`process.cpuUsage()`). */
export interface CpuUsage {
  readonly user: number;
  readonly system: number;
}

/** One row of `list`: a server (or the master itself, `serverType: 'master'`). Missing values are `null`. */
export interface ServerRow {
  readonly id: string;
  readonly serverType: string;
  readonly pid: number | null;
  readonly host: string;
  readonly port: number | null;
  readonly clientPort: number | null;
  readonly state: ServerState;
  /** Seconds since the process was started. */
  readonly uptime: number | null;
  /** Resident set size, in bytes, as the server reported it. */
  readonly rss: number | null;
  readonly cpu: CpuUsage | null;
  /** How many times the master started this server again after its first start. */
  readonly restarts: number;
}

/** Every admin command: its arguments and its result. */
export interface AdminCommandMap {
  list: { args: Record<string, never>; result: ServerRow[] };
  /** No `ids`: the whole cluster, then the master. */
  stop: { args: { ids?: string[]; deadlineMs?: number }; result: { stopped: string[] } };
  /** Every server and then the master: SIGKILL with `force`, else SIGTERM. */
  kill: { args: { force?: boolean }; result: { killed: string[] } };
  add: { args: { server: ServerInfo }; result: ServerRow };
  /** No `ids`: every server now running. */
  restart: { args: { ids?: string[] }; result: { restarted: string[] } };
  /** Starts one known server that is stopped or crashed. */
  start: { args: { id: string }; result: ServerRow };
  /** Changes the IP blacklist of every frontend, now and for frontends that start later. */
  blacklist: {
    args: { add?: string[]; remove?: string[] };
    result: { blacklist: string[]; frontends: string[] };
  };
}

/** The name of an admin command. */
export type AdminCommandName = keyof AdminCommandMap;

/** The admin commands' names, for validation. */
export const adminCommandNames: readonly AdminCommandName[] = [
  'list',
  'stop',
  'kill',
  'add',
  'restart',
  'start',
  'blacklist',
];

/**
 * The highest (least trusted) user level that may run each command. Level 1 runs everything;
 * level 2 and above are read-only: `list` only.
 */
export const COMMAND_MAX_LEVEL: Readonly<Record<AdminCommandName, number>> = Object.freeze({
  list: Number.MAX_SAFE_INTEGER,
  stop: 1,
  kill: 1,
  add: 1,
  restart: 1,
  start: 1,
  blacklist: 1,
});

/** Whether a user of `level` may run `command`. */
export function levelMayRun(level: number, command: AdminCommandName): boolean {
  return level >= 1 && level <= COMMAND_MAX_LEVEL[command];
}

/** What the master offers to admin sessions: one method per command. */
export type AdminCommands = {
  [K in AdminCommandName]: (args: AdminCommandMap[K]['args']) => Promise<AdminCommandMap[K]['result']>;
};

/**
 * The master's first message on every connection of its port: the nonce this connection's proofs
 * cover (monitor and admin alike).
 */
export interface PortHello {
  readonly type: 'hello';
  readonly nonce: Uint8Array;
}

/**
 * A message from an admin client to the master. The login, in order: `login` (the client's first
 * message), the master's `challenge`, `auth` with the proof, the master's `auth-ok` with its own;
 * then any number of `command`s. No password is ever on the wire.
 */
export type AdminRequest =
  | { type: 'login'; username: string }
  /** `proof`: HMAC under the derived key of `'admin login'`, the master's nonce, `nonce`, the username. */
  | { type: 'auth'; nonce: Uint8Array; proof: Uint8Array }
  | { type: 'command'; requestId: number; command: AdminCommandName; args: unknown };

/** How the client derives the key from the password: scrypt with this salt (base64url) and cost. */
export interface LoginChallenge {
  readonly type: 'challenge';
  readonly kdf: 'scrypt';
  readonly salt: string;
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** A message from the master to an admin client. `error` is about the connection, which closes after it. */
export type AdminReply =
  | PortHello
  | LoginChallenge
  /** `proof`: HMAC under the derived key of `'admin master'` and the same parts: the master knows the key too. */
  | { type: 'auth-ok'; username: string; level: number; proof: Uint8Array }
  | { type: 'error'; code: string; message: string }
  | { type: 'result'; requestId: number; ok: true; result: unknown }
  | { type: 'result'; requestId: number; ok: false; code: string; message: string };
