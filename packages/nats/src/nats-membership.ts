import { randomUUID } from 'node:crypto';
import { type JetStreamClient, jetstream } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  type DriverConfig,
  type DriverContext,
  LocalMembership,
  type Logger,
  type Membership,
  type ServerInfo,
  type ServerOrders,
} from 'shaddock';
import {
  DEFAULT_MEMBERSHIP_TIMING,
  type MemberProcess,
  type MembershipTiming,
  MemberTable,
} from './membership-members.js';
import { takeOrders } from './membership-orders.js';
import { encodeRecord } from './membership-record.js';
import { RepeatedLog } from './membership-repeats.js';
import { within } from './membership-timers.js';
import { type BucketWatch, watchBucket } from './membership-watch.js';
import { displayUrl, type NatsConnections, sharedNatsConnections } from './nats-connection.js';
import { controlSubject, isNatsSafeId, membersBucket } from './subjects.js';

/** What {@link NatsMembership} is made with. */
export interface NatsMembershipOptions {
  /** The cluster's name: the bucket is `shaddock_<cluster>_members`. */
  readonly cluster: string;
  /** This server, as the others will see it. */
  readonly server: ServerInfo;
  readonly connections: NatsConnections;
  readonly logger: Logger;
  /** What orders on `shaddock.<cluster>.control.<id>` may ask; absent: no control subscription. */
  readonly orders?: ServerOrders;
  readonly timing?: Partial<MembershipTiming>;
  /**
   * While NATS is unreachable: `hold` (default) keeps the last view, and gives every member a
   * fresh window once NATS is back (a NATS restart does not empty every server's view); `age`
   * keeps dropping silent members.
   */
  readonly whileDisconnected?: 'hold' | 'age';
  /** How a `kill` order ends the process (default `process.exit`; tests replace it). */
  readonly exit?: (code: number) => void;
  /** The cluster secret orders must be signed with (absent: the development one). */
  readonly secret?: string | undefined;
}

const LOAD_TIMEOUT_MS = 5_000;
const GOODBYE_TIMEOUT_MS = 2_000;
const RETRY_MS = 1_000;

/**
 * Cluster membership over NATS JetStream KV, with no master: each server puts its entry in the
 * bucket `shaddock_<cluster>_members` (memory storage, one value per key, max age ~1 s) and puts it
 * again every 250 ms; every server watches the bucket and drops a member silent for 750 ms, so a
 * crash, a freeze or a network cut is seen everywhere within a second. `stop()` deletes the entry:
 * the others drop it at once. The same driver takes orders (`stop`, `kill`) on its control subject.
 *
 * @example
 * const membership = new NatsMembership({ cluster: 'prod', server, connections, logger, orders });
 * await membership.start(); // the view holds every server up now
 * await membership.ready(); // the others see this server
 */
export class NatsMembership extends LocalMembership implements Membership {
  readonly #server: ServerInfo;
  readonly #connections: NatsConnections;
  readonly #logger: Logger;
  readonly #repeats: RepeatedLog;
  readonly #timing: MembershipTiming;
  readonly #hold: boolean;
  readonly #orders: ServerOrders | undefined;
  readonly #exit: (code: number) => void;
  readonly #secret: string | undefined;
  readonly #cluster: string;
  readonly #bucket: string;
  readonly #incarnation = randomUUID();
  readonly #members: MemberTable;
  readonly #putOptions: { timeout: number };

  #state: 'new' | 'starting' | 'started' | 'stopped' = 'new';
  #starting: Promise<void> | undefined;
  #ready = false;
  #readying: Promise<void> | undefined;
  #record: { readonly process: MemberProcess; readonly bytes: Uint8Array } | undefined;
  #connection: NatsConnection | undefined;
  #js: JetStreamClient | undefined;
  #kv: KV | undefined;
  #watch: BucketWatch | undefined;
  #watchGeneration = 0;
  #control: Subscription | undefined;
  #unlisten: Array<() => void> = [];
  #heartbeat: NodeJS.Timeout | undefined;
  #sweep: NodeJS.Timeout | undefined;
  #putsInFlight = 0;
  #disconnected = false;
  #recovering: Promise<void> | undefined;

  constructor(options: NatsMembershipOptions) {
    super();
    const { server, cluster } = options;
    if (!isNatsSafeId(server.id)) {
      throw new Error(
        `server id "${server.id}" cannot name a NATS key: use letters, digits, "-", "_", "=", "/" (and "." between them)`,
      );
    }
    this.#server = server;
    this.#cluster = cluster;
    this.#connections = options.connections;
    this.#logger = options.logger.child({ category: 'membership' });
    this.#repeats = new RepeatedLog(this.#logger);
    this.#timing = { ...DEFAULT_MEMBERSHIP_TIMING, ...options.timing };
    this.#hold = (options.whileDisconnected ?? 'hold') === 'hold';
    this.#orders = options.orders;
    this.#exit = options.exit ?? ((code) => process.exit(code));
    this.#secret = options.secret;
    this.#bucket = membersBucket(cluster);
    this.#members = new MemberTable({
      view: this,
      bucket: this.#bucket,
      self: server,
      incarnation: this.#incarnation,
      timing: this.#timing,
      logger: this.#logger,
      repeats: this.#repeats,
      onOwnDeleted: () => this.#beat(),
    });
    this.#putOptions = { timeout: Math.max(this.#timing.expireMs, 500) };
  }

  /** The process behind member `id` (this server's once ready), if known. */
  memberProcess(id: string): MemberProcess | undefined {
    if (id === this.#server.id) return this.#record?.process;
    return this.#members.process(id);
  }

  start(): Promise<void> {
    if (this.#state !== 'new')
      return Promise.reject(new Error(`membership of ${this.#server.id} already started`));
    this.#state = 'starting';
    this.#starting = this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    try {
      const connection = await this.#connections.acquire();
      this.#connection = connection;
      this.#js = jetstream(connection);
      this.#kv = await this.#openBucket();
      if (this.#orders) {
        this.#control = takeOrders({
          connection,
          subject: controlSubject(this.#cluster, this.#server.id),
          orders: this.#orders,
          logger: this.#logger,
          repeats: this.#repeats,
          exit: this.#exit,
          secret: this.#secret,
        });
      }
      this.#unlisten.push(
        this.#connections.on('disconnect', () => this.#onDisconnect()),
        this.#connections.on('reconnect', () => this.#onReconnect()),
      );
      await this.#rewatch();
      const evict = () => !(this.#disconnected && this.#hold);
      this.#members.restartClock();
      this.#sweep = setInterval(() => this.#members.sweep(evict()), this.#timing.sweepMs).unref();
      this.#state = 'started';
    } catch (error) {
      this.#state = 'stopped';
      await this.#close();
      throw error;
    }
  }

  ready(): Promise<void> {
    if (this.#state !== 'started')
      return Promise.reject(new Error(`ready() of ${this.#server.id} before start() or after stop()`));
    this.#readying ??= this.#announce();
    return this.#readying;
  }

  async #announce(): Promise<void> {
    await this.#waitForRival();
    if (this.#state !== 'started') return;
    const owner: MemberProcess = { pid: process.pid, startedAt: Date.now(), incarnation: this.#incarnation };
    this.#record = { process: owner, bytes: encodeRecord({ v: 1, server: this.#server, ...owner }) };
    this.#members.ownBytes = this.#record.bytes;
    this.#ready = true;
    this.add(this.#server);
    try {
      await this.#kv!.put(this.#server.id, this.#record.bytes, this.#putOptions);
    } catch (error) {
      this.#putFailed(error);
    }
    if (this.#state === 'started')
      this.#heartbeat = setInterval(() => this.#beat(), this.#timing.heartbeatMs).unref();
  }

  async stop(): Promise<void> {
    if (this.#state === 'new' || this.#state === 'stopped') {
      this.#state = 'stopped';
      return;
    }
    await this.#starting?.catch(() => {});
    // a start that failed has closed everything already
    if (this.#stopped()) return;
    this.#state = 'stopped';
    const announced = this.#ready;
    this.#ready = false;
    this.#members.ownBytes = undefined;
    this.#stopTimers();
    if (announced && !this.#disconnected) {
      try {
        // the goodbye: every watcher gets a DEL and drops this server at once
        await within(this.#kv!.delete(this.#server.id), GOODBYE_TIMEOUT_MS, 'the goodbye');
      } catch (error) {
        this.#logger.warn(
          { err: error },
          'could not delete this server from the members bucket; the others will notice the silence',
        );
      }
    }
    await this.#close();
  }

  #stopped(): boolean {
    return this.#state === 'stopped';
  }

  /** Ends as a crash would, for tests: heartbeats stop, the connection closes, no goodbye. */
  async crash(): Promise<void> {
    this.#state = 'stopped';
    this.#ready = false;
    this.#stopTimers();
    this.#watchGeneration += 1;
    await this.#connections.close();
    for (const stop of this.#unlisten) stop();
    this.#unlisten = [];
  }

  async #openBucket(): Promise<KV> {
    try {
      return await new Kvm(this.#js!).create(this.#bucket, {
        storage: 'memory',
        history: 1,
        ttl: this.#timing.bucketTtlMs,
        description: `Shaddock cluster "${this.#cluster}": one entry per live server`,
      });
    } catch (error) {
      const server = this.#connection?.getServer() ?? '';
      throw new Error(
        `cannot open the members bucket "${this.#bucket}" on NATS ${displayUrl(server)}: ${String(error)} ` +
          '(is JetStream enabled: nats-server -js?)',
        { cause: error },
      );
    }
  }

  /** Replaces the watch with a new one (start, reconnect, a lost consumer); resolves once it is loaded. */
  async #rewatch(): Promise<void> {
    const previous = this.#watch;
    this.#watch = undefined;
    const generation = ++this.#watchGeneration;
    void previous?.stop();
    const watch = await watchBucket(this.#js!, this.#bucket, (entry) => {
      if (generation === this.#watchGeneration) this.#members.take(entry);
    });
    if (generation !== this.#watchGeneration) {
      void watch.stop();
      return;
    }
    this.#watch = watch;
    void watch.ended.then(() => {
      if (generation === this.#watchGeneration && this.#state === 'started' && !this.#disconnected)
        void this.#recover('the bucket watch ended');
    });
    await within(watch.loaded, LOAD_TIMEOUT_MS, `loading the members bucket "${this.#bucket}"`);
  }

  /** Waits until no other process announces this server's id (a crashed predecessor's entry goes silent). */
  async #waitForRival(): Promise<void> {
    const { expireMs, heartbeatMs, sweepMs } = this.#timing;
    const giveUpAt = performance.now() + expireMs + 4 * heartbeatMs;
    for (;;) {
      const rival = this.#members.rival;
      const now = performance.now();
      if (rival === undefined || now - rival.heardAt > expireMs) return;
      if (now > giveUpAt) {
        throw new Error(
          `server id "${this.#server.id}" is already in cluster "${this.#cluster}" (process ${rival.pid} ` +
            `on ${rival.host} announces it): every server needs its own id`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, sweepMs));
    }
  }

  #beat(): void {
    if (!this.#ready || this.#disconnected || this.#putsInFlight >= 2) return;
    this.#putsInFlight += 1;
    this.#kv!.put(this.#server.id, this.#record!.bytes, this.#putOptions).then(
      this.#putDone,
      this.#putFailed,
    );
  }

  readonly #putDone = (): void => {
    this.#putsInFlight -= 1;
  };

  readonly #putFailed = (error: unknown): void => {
    this.#putsInFlight = Math.max(0, this.#putsInFlight - 1);
    if (this.#state !== 'started' || this.#disconnected) return;
    this.#repeats.log(
      'warn',
      'heartbeat failed',
      { err: error },
      'a heartbeat put failed; reopening the members bucket',
    );
    void this.#recover('a heartbeat failed');
  };

  #onDisconnect(): void {
    this.#disconnected = true;
  }

  #onReconnect(): void {
    this.#disconnected = false;
    if (this.#state !== 'started') return;
    if (this.#hold) this.#members.refresh();
    void this.#recover('reconnected');
  }

  /** After a reconnect or a failure: the bucket again (a restarted NATS lost it), this entry, a fresh watch. */
  #recover(reason: string): Promise<void> {
    this.#recovering ??= (async () => {
      try {
        this.#kv = await this.#openBucket();
        if (this.#ready && this.#state === 'started')
          await this.#kv.put(this.#server.id, this.#record!.bytes, this.#putOptions);
        if (this.#state === 'started') await this.#rewatch();
        this.#logger.info({ reason }, 'membership resynchronized with NATS');
      } catch (error) {
        this.#repeats.log(
          'warn',
          'recover',
          { err: error, reason },
          'could not resynchronize with NATS yet; retrying',
        );
        if (this.#state === 'started' && !this.#disconnected)
          setTimeout(() => void this.#recover(reason), RETRY_MS).unref();
      } finally {
        this.#recovering = undefined;
      }
    })();
    return this.#recovering;
  }

  #stopTimers(): void {
    clearInterval(this.#heartbeat);
    clearInterval(this.#sweep);
    this.#heartbeat = undefined;
    this.#sweep = undefined;
  }

  async #close(): Promise<void> {
    this.#watchGeneration += 1;
    const watch = this.#watch;
    this.#watch = undefined;
    await watch?.stop();
    this.#control?.unsubscribe();
    this.#control = undefined;
    for (const stop of this.#unlisten) stop();
    this.#unlisten = [];
    await this.#recovering?.catch(() => {});
    if (this.#connection !== undefined) {
      this.#connection = undefined;
      await this.#connections.release();
    }
  }
}

/** Options of {@link natsMembership} beside the cluster's config. */
export type NatsMembershipDriverOptions = Pick<NatsMembershipOptions, 'timing' | 'whileDisconnected'>;

/**
 * The membership driver for `createDrivers(config)`: a {@link NatsMembership} on the process's
 * shared NATS connection, taking orders on its control subject.
 *
 * @example
 * export function createDrivers(config: DriverConfig): Drivers {
 *   return { membership: natsMembership(config) };
 * }
 */
export function natsMembership(
  config: DriverConfig,
  options: NatsMembershipDriverOptions = {},
): (context: DriverContext) => NatsMembership {
  return (context) =>
    new NatsMembership({
      ...options,
      cluster: config.name,
      server: context.server,
      connections: sharedNatsConnections(config, context),
      logger: context.logger,
      orders: context.orders,
      secret: config.secret,
    });
}
