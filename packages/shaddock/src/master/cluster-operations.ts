import type { AdminCommandMap } from '../admin/index.js';
import type { ClusterConfig } from '../config/index.js';
import { serverArguments } from '../config/index.js';
import { ErrorCode, ShaddockError } from '../errors.js';
import { type ControlPlane, MASTER_TYPE, type Membership, type ServerInfo } from '../membership/index.js';
import type { ChildStatus, ClusterServerRow, MasterRequest, MasterStatus } from './cluster-protocol.js';
import { memberPid, memberStartedAt, until } from './detached-supervisor.js';
import { hostIsAmong } from './local-host.js';
import { DEFAULT_STOP_DEADLINE_MS } from './supervisor.js';

/** What the leader's operations need of the master that runs them. */
export interface OperationsHost {
  /** This master's id. */
  readonly id: string;
  readonly config: ClusterConfig;
  readonly membership: Membership;
  readonly controlPlane: ControlPlane;
  readonly startupTimeout: number;
  /** Sends a request to a master (this one included: answered in this process). */
  send(masterId: string, request: MasterRequest, timeoutMs: number): Promise<unknown>;
  /** The leader's id, as this master sees it. */
  leaderId(): string | undefined;
  /** Ends this master once the current reply has left. */
  finishSoon(): void;
  readonly log: (line: string) => void;
}

/** Every master's answer to `status`, and who spawned what. */
interface Survey {
  /** Every master in membership (this one included), by id: its status, or `undefined` if it did not answer. */
  readonly masters: ReadonlyMap<string, MasterStatus | undefined>;
  /** The master that spawned server `id` (the one whose child runs, else any that knows it). */
  supervisorOf(id: string): string | undefined;
  child(id: string): ChildStatus | undefined;
}

const STATUS_TIMEOUT_MS = 1_500;
const ORDER_TIMEOUT_MS = 2_000;
// beyond a stop's deadline: the supervisor's grace and SIGKILL wait, and the round trips
const STOP_SLACK_MS = 10_000;
// lets a forwarded reply reach its admin before the masters are told to go
const MASTERS_LAST_DELAY_MS = 300;

function failed(message: string): ShaddockError {
  return new ShaddockError(ErrorCode.AdminCommandFailed, message);
}

/**
 * What the admin commands do in a scale-out cluster, run by the leading master (`list` by any
 * master). Servers a master spawned are stopped, killed and restarted through that master (which
 * holds their process and restarts them on a crash); servers another supervisor runs (systemd,
 * Kubernetes, `shaddock server`) get orders through the control plane, and are never started by a
 * master.
 */
export class ClusterOperations {
  readonly #host: OperationsHost;

  constructor(host: OperationsHost) {
    this.#host = host;
  }

  /** Asks every master for its status (a master that does not answer in time is left without one). */
  async survey(): Promise<Survey> {
    const { membership, id } = this.#host;
    const ids = new Set(membership.byType(MASTER_TYPE).map((master) => master.id));
    ids.add(id);
    const answers = await Promise.all(
      [...ids].map(async (master) => {
        const status = await this.#host
          .send(master, { type: 'status' }, STATUS_TIMEOUT_MS)
          .then((answer) => answer as MasterStatus)
          .catch(() => undefined);
        return [master, status] as const;
      }),
    );
    const masters = new Map(answers);
    const children = new Map<string, { master: string; child: ChildStatus }>();
    for (const [master, status] of masters) {
      for (const child of status?.children ?? []) {
        const known = children.get(child.id);
        // the master whose child runs wins over one that spawned it once
        if (!known || (known.child.pid === null && child.pid !== null))
          children.set(child.id, { master, child });
      }
    }
    return {
      masters,
      supervisorOf: (server) => children.get(server)?.master,
      child: (server) => children.get(server)?.child,
    };
  }

  /** `list`: the masters (the leader first), then every server on every host. */
  async list(): Promise<ClusterServerRow[]> {
    const { membership } = this.#host;
    const survey = await this.survey();
    const leader = this.#host.leaderId();
    const masters = [...survey.masters].map(([id, status]) => this.#masterRow(id, status, leader));
    masters.sort((a, b) => (a.role === 'leader' ? -1 : b.role === 'leader' ? 1 : a.id.localeCompare(b.id)));
    const servers = new Map<string, ClusterServerRow>();
    for (const info of membership.servers()) {
      if (info.serverType === MASTER_TYPE || survey.masters.has(info.id)) continue;
      servers.set(info.id, this.#serverRow(info, survey.child(info.id)));
    }
    // spawned servers not in membership: starting, stopping, stopped or crashed
    for (const status of survey.masters.values()) {
      for (const child of status?.children ?? []) {
        if (!servers.has(child.id) && survey.child(child.id) === child)
          servers.set(child.id, this.#serverRow(child.info, child));
      }
    }
    const order = new Map(this.#host.config.servers.map((server, index) => [server.id, index]));
    const rank = (row: ClusterServerRow): number => order.get(row.id) ?? Number.MAX_SAFE_INTEGER;
    const rows = [...servers.values()].sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id));
    return [...masters, ...rows];
  }

  /** `stop` with ids: each through the master that spawned it, else by an order; a master named stops itself only. */
  async stop(ids: readonly string[], deadlineMs: number): Promise<string[]> {
    const survey = await this.survey();
    const { membership } = this.#host;
    const masters: string[] = [];
    const bySupervisor = new Map<string, string[]>();
    const unsupervised: string[] = [];
    for (const id of ids) {
      const supervisor = survey.supervisorOf(id);
      if (survey.masters.has(id) || membership.get(id)?.serverType === MASTER_TYPE) masters.push(id);
      else if (supervisor !== undefined)
        bySupervisor.set(supervisor, [...(bySupervisor.get(supervisor) ?? []), id]);
      else if (membership.get(id) !== undefined) unsupervised.push(id);
      else throw failed(`unknown server ${id}: not in membership, and no master spawned it`);
    }
    await Promise.all([
      ...[...bySupervisor].map(([supervisor, children]) =>
        this.#host.send(supervisor, { type: 'stop', ids: children, deadlineMs }, deadlineMs + STOP_SLACK_MS),
      ),
      ...unsupervised.map((id) => this.#order(id, deadlineMs)),
    ]);
    for (const master of masters) {
      if (master === this.#host.id) this.#host.finishSoon();
      else await this.#host.controlPlane.order(master, { order: 'stop', deadlineMs }, ORDER_TIMEOUT_MS);
    }
    return ids.slice();
  }

  /** `stop` without ids: every server (frontends first, then backends), then every master, this one last. */
  async stopCluster(deadlineMs: number): Promise<string[]> {
    const survey = await this.#holdEverywhere();
    const servers = this.#servers(survey);
    const frontends = servers.filter((server) => server.frontend).map((server) => server.id);
    const backends = servers.filter((server) => !server.frontend).map((server) => server.id);
    this.#host.log(`stopping every server (deadline ${deadlineMs} ms), then every master`);
    await this.stop(frontends, deadlineMs);
    await this.stop(backends, deadlineMs);
    this.#mastersLast(survey, { order: 'stop', deadlineMs });
    return [...frontends, ...backends];
  }

  /** `kill`: every server at once (the spawned ones by signal, the others by order), then every master. */
  async killCluster(force: boolean): Promise<string[]> {
    const survey = await this.#holdEverywhere();
    const servers = this.#servers(survey).map((server) => server.id);
    this.#host.log(`killing every server (${force ? 'SIGKILL' : 'SIGTERM'}), then every master`);
    const supervisors = [...survey.masters].filter(([, status]) => (status?.children.length ?? 0) > 0);
    await Promise.all([
      ...supervisors.map(([master]) => this.#host.send(master, { type: 'kill', force }, STOP_SLACK_MS * 2)),
      ...servers
        .filter((id) => survey.supervisorOf(id) === undefined)
        .map((id) => this.#host.controlPlane.order(id, { order: 'kill' }, ORDER_TIMEOUT_MS).catch(() => {})),
    ]);
    this.#mastersLast(survey, { order: 'kill' });
    return servers;
  }

  /** `add`: spawns the server on the host it names, through the master there (the admin's master first). */
  async add(server: ServerInfo, origin: string): Promise<ClusterServerRow> {
    serverArguments(server);
    if (this.#host.membership.get(server.id) !== undefined) throw failed(`server ${server.id} already runs`);
    const survey = await this.survey();
    const child = survey.child(server.id);
    if (child !== undefined && child.pid !== null)
      throw failed(`server ${server.id} already exists (${child.state})`);
    const master = this.#masterFor(server.host, origin, survey);
    const started = (await this.#host.send(
      master,
      { type: 'spawn', server },
      this.#spawnTimeout(),
    )) as ChildStatus;
    return this.#serverRow(server, started);
  }

  /** `start <id>`: a server down now, through the master that spawned it, else as servers.json lists it. */
  async start(id: string, origin: string): Promise<ClusterServerRow> {
    if (this.#host.membership.get(id) !== undefined) throw failed(`server ${id} already runs`);
    const survey = await this.survey();
    const supervisor = survey.supervisorOf(id);
    if (supervisor !== undefined) {
      const started = (await this.#host.send(
        supervisor,
        { type: 'start', id },
        this.#spawnTimeout(),
      )) as ChildStatus;
      return this.#serverRow(started.info, started);
    }
    const listed = this.#host.config.servers.find((server) => server.id === id);
    if (!listed)
      throw failed(`unknown server ${id}: servers.json does not list it, and no master spawned it`);
    const master = this.#masterFor(listed.host, origin, survey);
    const started = (await this.#host.send(
      master,
      { type: 'spawn', server: listed },
      this.#spawnTimeout(),
    )) as ChildStatus;
    return this.#serverRow(listed, started);
  }

  /** `restart`: through the masters that spawned them (none given: every spawned server that runs). */
  async restart(ids: readonly string[] | undefined): Promise<string[]> {
    const survey = await this.survey();
    const chosen =
      ids ?? this.#servers(survey).flatMap((server) => (survey.child(server.id)?.pid ? [server.id] : []));
    const orphans = chosen.filter((id) => survey.supervisorOf(id) === undefined);
    if (orphans.length > 0) {
      throw failed(
        `no master spawned ${orphans.join(', ')}: whatever supervisor runs ${orphans.length === 1 ? 'it' : 'them'} ` +
          '(systemd, Kubernetes) restarts it; `shaddock stop` stops it, and that supervisor decides whether it comes back',
      );
    }
    const bySupervisor = new Map<string, string[]>();
    for (const id of chosen) {
      const supervisor = survey.supervisorOf(id) as string;
      bySupervisor.set(supervisor, [...(bySupervisor.get(supervisor) ?? []), id]);
    }
    const timeout = this.#spawnTimeout() + DEFAULT_STOP_DEADLINE_MS + STOP_SLACK_MS;
    await Promise.all(
      [...bySupervisor].map(([supervisor, children]) =>
        this.#host.send(supervisor, { type: 'restart', ids: children }, timeout),
      ),
    );
    return chosen.slice();
  }

  /** Has `origin` spawn those of `ids` (listed for its host) that run nowhere yet. */
  async ensure(ids: readonly string[], origin: string): Promise<string[]> {
    const survey = await this.survey();
    const { membership, config } = this.#host;
    const missing = config.servers.filter(
      (server) =>
        ids.includes(server.id) && membership.get(server.id) === undefined && !survey.child(server.id)?.pid,
    );
    await Promise.all(
      missing.map((server) => this.#host.send(origin, { type: 'spawn', server }, this.#spawnTimeout())),
    );
    return missing.map((server) => server.id);
  }

  /** `blacklist` needs an order the servers' control subject does not carry yet. */
  blacklist(): Promise<AdminCommandMap['blacklist']['result']> {
    return Promise.reject(
      failed(
        "blacklist is not carried to servers in a scale-out (NATS) cluster yet: set it in each frontend's config",
      ),
    );
  }

  /** Every master stops restarting and spawning; returns the survey taken first. */
  async #holdEverywhere(): Promise<Survey> {
    const survey = await this.survey();
    await Promise.all(
      [...survey.masters.keys()].map((master) =>
        this.#host.send(master, { type: 'hold' }, STATUS_TIMEOUT_MS).catch(() => {}),
      ),
    );
    return survey;
  }

  /** The servers (no master) in membership or spawned and running. */
  #servers(survey: Survey): ServerInfo[] {
    const servers = new Map<string, ServerInfo>();
    for (const info of this.#host.membership.servers()) {
      if (info.serverType !== MASTER_TYPE && !survey.masters.has(info.id)) servers.set(info.id, info);
    }
    for (const status of survey.masters.values()) {
      for (const child of status?.children ?? []) if (child.pid !== null) servers.set(child.id, child.info);
    }
    return [...servers.values()];
  }

  /** After the reply has left: every other master gets `order`, then this one ends. */
  #mastersLast(survey: Survey, order: { order: 'stop'; deadlineMs: number } | { order: 'kill' }): void {
    const others = [...survey.masters.keys()].filter((master) => master !== this.#host.id);
    setTimeout(() => {
      void Promise.all(
        others.map((master) =>
          this.#host.controlPlane.order(master, order, ORDER_TIMEOUT_MS).catch(() => {}),
        ),
      ).finally(() => this.#host.finishSoon());
    }, MASTERS_LAST_DELAY_MS);
  }

  /** A stop order to a server no master spawned; resolves once it left membership (or its deadline passed). */
  async #order(id: string, deadlineMs: number): Promise<void> {
    await this.#host.controlPlane.order(id, { order: 'stop', deadlineMs }, ORDER_TIMEOUT_MS);
    const left = await until(() => this.#host.membership.get(id) === undefined, deadlineMs + 2_000);
    if (!left) this.#host.log(`${id} took the stop order but is still in membership after ${deadlineMs} ms`);
  }

  /** The master to spawn a server on `host`: the admin's own master when the host is its, else the one whose it is. */
  #masterFor(host: string, origin: string, survey: Survey): string {
    const candidates = [origin, ...[...survey.masters.keys()].filter((master) => master !== origin)];
    for (const master of candidates) {
      const status = survey.masters.get(master);
      if (status && hostIsAmong(host, status.addresses)) return master;
    }
    throw failed(
      `no master runs on host ${host}: start one there (shaddock master), or run the server with its own supervisor (shaddock server)`,
    );
  }

  #spawnTimeout(): number {
    return this.#host.startupTimeout + 5_000;
  }

  #masterRow(id: string, status: MasterStatus | undefined, leader: string | undefined): ClusterServerRow {
    const info = this.#host.membership.get(id);
    // each master knows best whether it leads; this master's view for one that did not answer
    const role = (status === undefined ? id === leader : status.leader) ? 'leader' : 'standby';
    const startedAt = memberStartedAt(this.#host.membership, id);
    return {
      id,
      serverType: MASTER_TYPE,
      pid: status?.pid ?? memberPid(this.#host.membership, id) ?? null,
      host: status?.host ?? info?.host ?? '-',
      port: status?.port ?? info?.port ?? null,
      clientPort: null,
      state: 'running',
      uptime: status?.uptime ?? (startedAt === undefined ? null : (Date.now() - startedAt) / 1000),
      rss: status?.rss ?? null,
      cpu: status?.cpu ?? null,
      restarts: 0,
      role,
    };
  }

  #serverRow(info: ServerInfo, child: ChildStatus | undefined): ClusterServerRow {
    const { membership } = this.#host;
    const inMembership = membership.get(info.id) !== undefined;
    const startedAt = child?.startedAt ?? memberStartedAt(membership, info.id) ?? null;
    const running = inMembership || (child !== undefined && child.pid !== null);
    return {
      id: info.id,
      serverType: info.serverType,
      pid: child?.pid ?? memberPid(membership, info.id) ?? null,
      host: info.host,
      port: info.port ?? null,
      clientPort: info.clientPort ?? null,
      state: child?.state ?? 'running',
      uptime: running && startedAt !== null ? (Date.now() - startedAt) / 1000 : null,
      rss: child?.rss ?? null,
      cpu: child?.cpu ?? null,
      restarts: child?.restarts ?? 0,
    };
  }
}
