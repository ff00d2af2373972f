import { ErrorCode, ShaddockError } from '../errors.js';
import type { LocalMembership, ServerInfo } from '../membership/index.js';
import type { PlacementEntry } from '../placement/index.js';
import {
  connectFramed,
  type FramedSocket,
  newNonce,
  proofMatches,
  secretOrDevelopment,
} from '../transport/index.js';
import {
  CLUSTER_SECRET_ENV,
  type MasterMessage,
  type MonitorMessage,
  MonitorProofPurpose,
  monitorProof,
  parseMasterMessage,
  SERVER_TOKEN_ENV,
} from './control-protocol.js';
import type { PlacementAnswer, PlacementOperation } from './placement-protocol.js';
import { ownStats } from './rows.js';

/** What a server's monitor needs. */
export interface MonitorClientOptions {
  readonly master: { readonly host: string; readonly port: number };
  /** This server. */
  readonly server: ServerInfo;
  /** Filled from the master's list, then kept up to date with its announcements. */
  readonly membership: LocalMembership;
  /** The master ordered a graceful stop; the process is expected to exit once this settles. */
  readonly onStop: (deadlineMs: number) => Promise<void>;
  /** The master changed the frontends' run-time IP blacklist. */
  readonly onBlacklist?: (add: readonly string[], remove: readonly string[]) => void;
  /** Every server is ready (or, for a server restarted or added later, this one is). */
  readonly onAfterStartAll?: () => void | Promise<void>;
  /** The connection to the master was lost without a stop order (default: `process.exit(1)`). */
  readonly onMasterLost?: () => void;
  /** The registration token (default: the `SHADDOCK_SERVER_TOKEN` the master put in the environment). */
  readonly token?: string;
  /**
   * The cluster secret, proved to the master before anything else (`app.cluster.drivers.secret`);
   * default: `SHADDOCK_CLUSTER_SECRET` of the environment (a master puts a configured one there for
   * its children), else the well-known development secret.
   */
  readonly secret?: string;
  /** Milliseconds allowed to connect and register (default 10 000). */
  readonly timeout?: number;
  /** The master released a key of its placement table. */
  readonly onPlacementReleased?: (entry: PlacementEntry) => void;
  /** Where failures of the callbacks are reported (default: stderr). */
  readonly log?: (line: string) => void;
}

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

// What the master sends are small control messages, and the membership: thousands of servers fit.
const MAX_MASTER_FRAME = 16 * 1024 * 1024;

/**
 * The monitor every server process runs: proves it knows the cluster secret (and has the master
 * prove it back, over fresh nonces of both), registers with the master, keeps `membership` in step
 * with it, reports ready, answers `stats`, and obeys `stop` and `afterStartAll`. When the
 * connection is lost without a stop order it calls `onMasterLost`, so no server outlives its
 * master, even a `kill -9`ed one.
 *
 * @example
 * const monitor = new MonitorClient({ master: identity.master, server, membership, onStop: (deadline) => app.stop(deadline) });
 * await monitor.connect();
 * // … start the components
 * monitor.ready();
 */
export class MonitorClient {
  readonly #options: MonitorClientOptions;
  #socket: FramedSocket | undefined;
  #registration: Waiter | undefined;
  #closing = false;
  #stopOrdered = false;
  /** Placement calls waiting for the master's answer, by request id. */
  readonly #placementCalls = new Map<
    number,
    { resolve(answer: unknown): void; reject(error: Error): void }
  >();
  #nextPlacementCall = 1;
  /** The handshake, until the master proved itself: what it needs to answer `hello` and check `monitor-ok`. */
  #handshake:
    | { secret: string; token: string; nonce: Uint8Array; masterNonce?: Uint8Array; verified?: boolean }
    | undefined;

  constructor(options: MonitorClientOptions) {
    this.#options = options;
  }

  /** Connects and registers; resolves once membership holds the master's list. */
  async connect(): Promise<void> {
    const { master, server, timeout = 10_000 } = this.#options;
    if (this.#socket) throw new ShaddockError(ErrorCode.MasterState, 'the monitor is already connected');
    const token = this.#options.token ?? process.env[SERVER_TOKEN_ENV];
    if (!token) {
      throw new ShaddockError(
        ErrorCode.RegisterRefused,
        `${server.id} has no registration token (${SERVER_TOKEN_ENV}): only servers the master started may register`,
      );
    }
    const secret = secretOrDevelopment(this.#options.secret ?? process.env[CLUSTER_SECRET_ENV]);
    this.#handshake = { secret, token, nonce: newNonce() };
    const registered = new Promise<void>((resolve, reject) => {
      this.#registration = { resolve, reject };
    });
    try {
      this.#socket = await connectFramed({
        host: master.host,
        port: master.port,
        timeout,
        maxFrameLength: MAX_MASTER_FRAME,
        onMessage: (message) => this.#receive(message),
        onClose: (error) => this.#closed(error),
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ShaddockError(
        ErrorCode.MasterUnreachable,
        `cannot reach the master at ${master.host}:${master.port}: ${reason}`,
        {
          cause: error,
        },
      );
    }
    const timer = setTimeout(() => {
      this.#registration?.reject(
        new ShaddockError(ErrorCode.MasterUnreachable, `no answer to register within ${timeout} ms`),
      );
    }, timeout);
    try {
      await registered;
    } catch (error) {
      this.#closing = true;
      this.#socket.destroy();
      throw error;
    } finally {
      clearTimeout(timer);
      this.#registration = undefined;
      this.#handshake = undefined;
    }
  }

  /** Tells the master this server's components started. */
  ready(): void {
    if (!this.#socket) throw new ShaddockError(ErrorCode.MasterState, 'ready() before connect()');
    this.#send({ type: 'ready' });
  }

  /**
   * Runs an operation on the master's placement table. Rejects with the master's error, or with
   * `SHADDOCK_ERR_MASTER_UNREACHABLE` when the connection is not up or drops before the answer.
   */
  placement(operation: PlacementOperation): Promise<PlacementAnswer> {
    const socket = this.#socket;
    if (!socket || this.#registration !== undefined)
      return Promise.reject(new ShaddockError(ErrorCode.MasterUnreachable, 'not registered with the master'));
    const requestId = this.#nextPlacementCall++;
    return new Promise((resolve, reject) => {
      this.#placementCalls.set(requestId, {
        resolve: (answer) => resolve(answer as PlacementAnswer),
        reject,
      });
      this.#send({ type: 'placement', requestId, operation });
    });
  }

  /** Closes the connection on purpose: `onMasterLost` is not called. */
  async close(): Promise<void> {
    this.#closing = true;
    const socket = this.#socket;
    if (!socket) return;
    socket.close();
    await socket.closed;
  }

  /** Drops the connection at once with no goodbye, as a crash does; `onMasterLost` is not called. */
  drop(): void {
    this.#closing = true;
    this.#socket?.destroy();
  }

  #send(message: MonitorMessage): void {
    this.#socket?.send(message);
  }

  /** The handshake's messages: `hello` (answered with the proof), `monitor-ok` (checked, then `register`). */
  #shake(message: MasterMessage): boolean {
    const handshake = this.#handshake;
    if (handshake === undefined) return message.type === 'hello' || message.type === 'monitor-ok';
    const { server } = this.#options;
    const { secret, nonce } = handshake;
    if (message.type === 'hello') {
      if (handshake.masterNonce !== undefined) return true;
      handshake.masterNonce = message.nonce;
      const proof = monitorProof(secret, MonitorProofPurpose.Server, message.nonce, nonce, server.id);
      this.#send({ type: 'monitor-auth', id: server.id, nonce, proof });
      return true;
    }
    if (message.type === 'refused') return false;
    // nothing else counts before the master proved itself
    if (message.type !== 'monitor-ok' || handshake.verified) return !handshake.verified;
    const masterNonce = handshake.masterNonce;
    const expected =
      masterNonce && monitorProof(secret, MonitorProofPurpose.Master, masterNonce, nonce, server.id);
    if (!expected || !proofMatches(expected, message.proof)) {
      this.#registration?.reject(
        new ShaddockError(
          ErrorCode.RegisterRefused,
          `the master at ${this.#options.master.host}:${this.#options.master.port} did not prove it knows the cluster secret`,
        ),
      );
      return true;
    }
    handshake.verified = true;
    this.#send({ type: 'register', id: server.id, pid: process.pid, token: handshake.token, info: server });
    return true;
  }

  #receive(raw: unknown): void {
    const message = parseMasterMessage(raw);
    if (message === undefined || this.#shake(message)) return;
    const { membership } = this.#options;
    switch (message.type) {
      case 'registered':
        membership.replace(message.servers);
        this.#registration?.resolve();
        break;
      case 'refused':
        this.#registration?.reject(new ShaddockError(ErrorCode.RegisterRefused, message.message));
        break;
      case 'add':
        membership.add(message.server);
        break;
      case 'remove':
        membership.remove(message.id);
        break;
      case 'after-start-all':
        void this.#run('afterStartAll', async () => this.#options.onAfterStartAll?.());
        break;
      case 'stop':
        if (this.#stopOrdered) break;
        this.#stopOrdered = true;
        void this.#run('stop', () => this.#options.onStop(message.deadlineMs));
        break;
      case 'stats':
        this.#send({ type: 'stats', requestId: message.requestId, stats: ownStats() });
        break;
      case 'blacklist':
        this.#options.onBlacklist?.(message.add, message.remove);
        break;
      case 'placement-answer': {
        const call = this.#placementCalls.get(message.requestId);
        this.#placementCalls.delete(message.requestId);
        if (message.error === undefined) call?.resolve(message.answer ?? null);
        else call?.reject(new ShaddockError(knownCode(message.error.code), message.error.message));
        break;
      }
      case 'placement-released':
        this.#options.onPlacementReleased?.(message.entry);
        break;
    }
  }

  async #run(what: string, action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      const log = this.#options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
      log(
        `${this.#options.server.id}: ${what} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
  }

  #closed(error: Error | undefined): void {
    for (const call of this.#placementCalls.values())
      call.reject(new ShaddockError(ErrorCode.MasterUnreachable, 'the connection to the master closed'));
    this.#placementCalls.clear();
    if (this.#registration) {
      const reason = error ? `: ${error.message}` : '';
      this.#registration.reject(
        new ShaddockError(ErrorCode.MasterUnreachable, `the master closed the connection${reason}`),
      );
      return;
    }
    if (this.#closing || this.#stopOrdered) return;
    if (this.#options.onMasterLost) {
      this.#options.onMasterLost();
      return;
    }
    process.stderr.write(`${this.#options.server.id}: lost the master, exiting\n`);
    process.exit(1);
  }
}

/** A code the master sent, if it is one of ours (else: the master's state). */
function knownCode(code: string): ErrorCode {
  return (Object.values(ErrorCode) as string[]).includes(code) ? (code as ErrorCode) : ErrorCode.MasterState;
}
