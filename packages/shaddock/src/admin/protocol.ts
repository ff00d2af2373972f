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

/** What the master offers to admin sessions: one method per command. */
export type AdminCommands = {
  [K in AdminCommandName]: (args: AdminCommandMap[K]['args']) => Promise<AdminCommandMap[K]['result']>;
};

/** A message from an admin client to the master; the first one must be `auth`. */
export type AdminRequest =
  | { type: 'auth'; username: string; password: string }
  | { type: 'command'; requestId: number; command: AdminCommandName; args: unknown };

/** A message from the master to an admin client. `error` is about the connection, which closes after it. */
export type AdminReply =
  | { type: 'auth-ok'; username: string; level: number }
  | { type: 'error'; code: string; message: string }
  | { type: 'result'; requestId: number; ok: true; result: unknown }
  | { type: 'result'; requestId: number; ok: false; code: string; message: string };
