import {
  AdminAuthority,
  type AdminCommands,
  DEFAULT_LOGIN_LIMITS,
  DEVELOPMENT_ENV,
  ensureDevelopmentAdmin,
  LoginGuard,
  type LoginLimits,
  type SecurityLog,
  type ServerRow,
} from '../admin/index.js';
import type { AdminUser, ClusterConfig } from '../config/index.js';
import type { ServerInfo } from '../membership/index.js';
import { DEFAULT_STOP_DEADLINE_MS } from './supervisor.js';

/** What the admin commands ask of the master (the `Master` class, seen by what it offers here). */
export interface CommandedMaster {
  list(): Promise<ServerRow[]>;
  stopServers(ids: readonly string[], deadlineMs?: number): Promise<string[]>;
  add(server: ServerInfo): Promise<ServerRow>;
  restart(ids?: readonly string[]): Promise<string[]>;
  startServer(id: string): Promise<ServerRow>;
  blacklist(
    add?: readonly string[],
    remove?: readonly string[],
  ): { blacklist: string[]; frontends: string[] };
}

/** The master's internals that whole-cluster admin commands need. */
export interface ClusterControl {
  /** The ids of the servers with a process now. */
  live(): string[];
  stopCluster(deadlineMs: number): Promise<void>;
  killCluster(force: boolean): Promise<void>;
  /** Closes the listener, and so ends the master, once the current reply has left. */
  finishSoon(): void;
}

/** The admin commands, served by `master`. `stop` without ids and `kill` end the master too (Pomelo's behaviour). */
export function adminCommandsFor(master: CommandedMaster, cluster: ClusterControl): AdminCommands {
  return {
    list: () => master.list(),
    stop: async ({ ids, deadlineMs }) => {
      if (ids) return { stopped: await master.stopServers(ids, deadlineMs) };
      const stopped = cluster.live();
      await cluster.stopCluster(deadlineMs ?? DEFAULT_STOP_DEADLINE_MS);
      cluster.finishSoon();
      return { stopped };
    },
    kill: async ({ force = false }) => {
      const killed = cluster.live();
      await cluster.killCluster(force);
      cluster.finishSoon();
      return { killed };
    },
    add: ({ server }) => master.add(server),
    restart: async ({ ids }) => ({ restarted: await master.restart(ids) }),
    start: ({ id }) => master.startServer(id),
    blacklist: async ({ add, remove }) => master.blacklist(add, remove),
  };
}

/** What {@link adminPort} needs. */
export interface AdminPortOptions {
  readonly config: ClusterConfig;
  readonly commands: AdminCommands;
  readonly limits?: Partial<LoginLimits> | undefined;
  readonly security: SecurityLog;
  readonly log: (line: string) => void;
}

/**
 * The admin side of a master's port: the users' keys, the login guard, the commands. The users are
 * `config.adminUsers`; in development, when there is none, the user generated in
 * `<base>/.shaddock/admin-user.json` (made on the first start; the line logged says where).
 */
export async function adminPort(
  options: AdminPortOptions,
): Promise<{ authority: AdminAuthority; guard: LoginGuard; commands: AdminCommands }> {
  const { config, log } = options;
  let users: readonly AdminUser[] = config.adminUsers;
  if (users.length === 0 && config.env === DEVELOPMENT_ENV) {
    const generated = await ensureDevelopmentAdmin(config.base);
    users = [generated.user];
    log(
      `no admin user configured: ${generated.created ? 'generated' : 'using'} the development admin ` +
        `"${generated.user.username}" in ${generated.file} (shaddock list/stop/… read it in development)`,
    );
  }
  const authority = await AdminAuthority.create(users);
  const guard = new LoginGuard({ ...DEFAULT_LOGIN_LIMITS, ...options.limits }, options.security);
  return { authority, guard, commands: options.commands };
}
