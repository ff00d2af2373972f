import type { AdminCommandName, CpuUsage, ServerRow, ServerState } from '../admin/index.js';
import { ErrorCode, ShaddockError } from '../errors.js';
import type { ServerInfo } from '../membership/index.js';

/** A `list` row of a cluster with several masters: a master's row says whether it leads. */
export interface ClusterServerRow extends ServerRow {
  /** Masters only: `leader` for the one that leads, `standby` for the others. */
  readonly role?: 'leader' | 'standby';
}

/** A server a master spawned, as that master sees it. */
export interface ChildStatus {
  readonly id: string;
  readonly info: ServerInfo;
  readonly state: ServerState;
  readonly pid: number | null;
  /** When its process was spawned, in ms since the epoch. */
  readonly startedAt: number | null;
  readonly restarts: number;
  readonly rss: number | null;
  readonly cpu: CpuUsage | null;
}

/** What a master says of itself and of the servers it spawned (the answer to `status`). */
export interface MasterStatus {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  readonly uptime: number;
  readonly rss: number;
  readonly cpu: CpuUsage;
  readonly leader: boolean;
  /** The names and addresses of its machine: which servers it can spawn. */
  readonly addresses: readonly string[];
  readonly children: readonly ChildStatus[];
}

/**
 * A request from one master to another, on the control plane. `admin` goes to the leader (a
 * standby forwards the cluster-changing admin commands it receives, so that two admins never
 * race); the others go to the master that spawned the servers concerned, or that runs on the host
 * a server is to run on.
 */
export type MasterRequest =
  /** Run an admin command as the leader; `origin` is the master the admin connected to. */
  | { type: 'admin'; command: AdminCommandName; args: unknown; origin: string }
  /** Make sure these servers (listed for `origin`'s host) run: the leader has `origin` spawn the missing ones. */
  | { type: 'ensure'; ids: string[]; origin: string }
  | { type: 'status' }
  /** Spawn a new server on this master's host; the answer comes once it is ready. */
  | { type: 'spawn'; server: ServerInfo }
  /** Start again a server this master spawned before, which is down now. */
  | { type: 'start'; id: string }
  | { type: 'stop'; ids: string[]; deadlineMs: number }
  /** Signal these children (every one without `ids`) at once. */
  | { type: 'kill'; ids?: string[]; force: boolean }
  | { type: 'restart'; ids: string[] }
  /** The whole cluster is stopping: no more restarts or spawns. */
  | { type: 'hold' };

function isFields(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIds(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((id) => typeof id === 'string');
}

/** Checks a request as it came off the wire; throws a coded error naming what is wrong. */
export function parseMasterRequest(value: unknown): MasterRequest {
  const malformed = (): ShaddockError =>
    new ShaddockError(
      ErrorCode.ControlProtocol,
      `malformed request between masters: ${JSON.stringify(value)}`,
    );
  if (!isFields(value)) throw malformed();
  const { type } = value;
  switch (type) {
    case 'admin':
      if (typeof value['command'] !== 'string' || typeof value['origin'] !== 'string') throw malformed();
      return value as MasterRequest;
    case 'ensure':
      if (!isIds(value['ids']) || typeof value['origin'] !== 'string') throw malformed();
      return value as MasterRequest;
    case 'status':
    case 'hold':
      return { type };
    case 'spawn':
      if (!isFields(value['server']) || typeof value['server']['id'] !== 'string') throw malformed();
      return value as MasterRequest;
    case 'start':
      if (typeof value['id'] !== 'string') throw malformed();
      return value as MasterRequest;
    case 'stop':
      if (!isIds(value['ids']) || typeof value['deadlineMs'] !== 'number') throw malformed();
      return value as MasterRequest;
    case 'kill':
      if ((value['ids'] !== undefined && !isIds(value['ids'])) || typeof value['force'] !== 'boolean')
        throw malformed();
      return value as MasterRequest;
    case 'restart':
      if (!isIds(value['ids'])) throw malformed();
      return value as MasterRequest;
    default:
      throw malformed();
  }
}
