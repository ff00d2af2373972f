import { jetstream } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  type ControlPlane,
  type DriverConfig,
  type DriverContext,
  ErrorCode,
  type LeaderCandidate,
  type Leadership,
  type Logger,
  RemoteError,
  type RequestHandler,
  type ServerOrder,
  ServerUnavailable,
  ShaddockError,
} from 'shaddock';
import { KvLeadership, type LeaseTiming } from './leadership.js';
import { RepeatedLog } from './membership-repeats.js';
import { sharedNatsConnections } from './nats-connection.js';
import { ReplayGuard, SignedPurpose, signRequest } from './signed-requests.js';
import { controlSubject, isNatsSafeId, leaderBucket, masterSubject } from './subjects.js';

/** The key of the lease in {@link leaderBucket}. */
export const LEADER_KEY = 'leader';

/** What {@link NatsControlPlane} is made with. */
export interface NatsControlPlaneOptions {
  /** The cluster's name: subjects under `shaddock.<cluster>`, the lease in `shaddock_<cluster>_leader`. */
  readonly cluster: string;
  /** The NATS connection, asked for on first use (the process's shared one). */
  readonly connection: () => Promise<NatsConnection>;
  /** Gives the connection back; called by `close()` when the control plane obtained it. */
  readonly release?: () => Promise<void>;
  readonly logger: Logger;
  /** The lease's clocks (see {@link LeaseTiming}). */
  readonly lease?: Partial<LeaseTiming>;
  /**
   * The cluster secret orders and requests between masters are signed with, and requests served
   * are checked against (absent: the development one). See `signed-requests.ts`.
   */
  readonly secret?: string | undefined;
}

/** What requests and answers carry (shaddock's JSON value type, without depending on @shaddock/protocol). */
type JsonValue = Parameters<RequestHandler>[0];

/** A handler's answer on the wire (JSON). */
type Answer = { ok: true; result: JsonValue } | { ok: false; code: string; message: string };

const knownCodes = new Set<string>(Object.values(ErrorCode));

/**
 * The control plane over NATS. Orders go as signed JSON requests (`signed-requests.ts`: a proof of
 * the cluster secret, a fresh nonce, a time) to each server's control subject
 * (`shaddock.<cluster>.control.<serverId>`, where `NatsMembership` takes them); requests between
 * masters, signed alike, to `shaddock.<cluster>.masters.<id>`, where unsigned, forged, stale or
 * replayed ones are refused with nothing run; the leader is elected on the KV bucket
 * `shaddock_<cluster>_leader` ({@link KvLeadership}). NATS answers "no responders" at once for a
 * subject nobody listens on, so an order to a server that is gone fails in about a round trip.
 *
 * @example
 * const plane = new NatsControlPlane({ cluster: 'prod', connection: () => connections.acquire(), logger });
 * await plane.order('chat-server-1', { order: 'stop', deadlineMs: 10_000 }, 2_000);
 */
export class NatsControlPlane implements ControlPlane {
  readonly #options: NatsControlPlaneOptions;
  readonly #logger: Logger;
  readonly #repeats: RepeatedLog;
  readonly #campaigns = new Set<Leadership>();
  readonly #served = new Set<Subscription>();
  #connection: Promise<NatsConnection> | undefined;
  #closed = false;

  constructor(options: NatsControlPlaneOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ category: 'control-plane' });
    this.#repeats = new RepeatedLog(this.#logger);
  }

  async order(serverId: string, order: ServerOrder, timeoutMs: number): Promise<void> {
    const reply = await this.#ask(
      serverId,
      controlSubject(this.#options.cluster, serverId),
      SignedPurpose.Order,
      order,
      timeoutMs,
    );
    if (reply['ok'] === true) return;
    const error = typeof reply['error'] === 'string' ? reply['error'] : 'refused the order';
    throw new RemoteError(serverId, error, undefined);
  }

  async request(address: string, request: JsonValue, timeoutMs: number): Promise<JsonValue> {
    const reply = await this.#ask(
      address,
      masterSubject(this.#options.cluster, address),
      SignedPurpose.MasterRequest,
      request,
      timeoutMs,
    );
    if (reply['ok'] === true) return (reply['result'] ?? null) as JsonValue;
    const code =
      typeof reply['code'] === 'string' && knownCodes.has(reply['code']) ? reply['code'] : undefined;
    const message = typeof reply['message'] === 'string' ? reply['message'] : `${address} failed the request`;
    throw new ShaddockError((code ?? ErrorCode.AdminCommandFailed) as ErrorCode, message);
  }

  async serve(address: string, handler: RequestHandler): Promise<() => Promise<void>> {
    this.#checkOpen();
    checkId(address);
    const connection = await this.#connect();
    // one per subscription: the nonces it has seen
    const guard = new ReplayGuard({ secret: this.#options.secret, purpose: SignedPurpose.MasterRequest });
    const subscription = connection.subscribe(masterSubject(this.#options.cluster, address), {
      callback: (error, message) => {
        if (error) {
          this.#repeats.log('error', 'serve', { err: error, address }, 'a request subscription failed');
          return;
        }
        void this.#answer(message, guard, handler);
      },
    });
    this.#served.add(subscription);
    // the subscription is on the server before anyone is told to send to it
    await connection.flush();
    return async () => {
      if (!this.#served.delete(subscription)) return;
      await subscription.drain().catch(() => subscription.unsubscribe());
    };
  }

  async campaign(
    candidate: LeaderCandidate,
    onChange: (leader: LeaderCandidate | undefined, self: boolean) => void,
  ): Promise<Leadership> {
    this.#checkOpen();
    checkId(candidate.id);
    const leadership = await KvLeadership.campaign({
      open: () => this.#openBucket(),
      key: LEADER_KEY,
      candidate,
      onChange,
      logger: this.#options.logger,
      ...(this.#options.lease === undefined ? {} : { timing: this.#options.lease }),
    });
    this.#campaigns.add(leadership);
    return {
      isLeader: () => leadership.isLeader(),
      leader: () => leadership.leader(),
      resign: async () => {
        this.#campaigns.delete(leadership);
        await leadership.resign();
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#campaigns].map((leadership) => leadership.resign()));
    this.#campaigns.clear();
    await Promise.all([...this.#served].map((subscription) => subscription.drain().catch(() => {})));
    this.#served.clear();
    const opened = this.#connection;
    this.#connection = undefined;
    if (
      opened !== undefined &&
      (await opened.then(
        () => true,
        () => false,
      ))
    )
      await this.#options.release?.();
  }

  /** Sends a signed JSON request; the answer as an object, or `ServerUnavailable` when nobody (or nobody in time) answers. */
  async #ask(
    target: string,
    subject: string,
    purpose: SignedPurpose,
    body: unknown,
    timeoutMs: number,
  ): Promise<Record<string, unknown>> {
    this.#checkOpen();
    checkId(target);
    const connection = await this.#connect();
    let reply: Msg;
    try {
      // signed as late as possible: the time window starts now
      const signed = signRequest(this.#options.secret, purpose, subject, JSON.stringify(body));
      reply = await connection.request(subject, JSON.stringify(signed), { timeout: timeoutMs });
    } catch (error) {
      const nobody = error instanceof Error && /no responders/i.test(error.message);
      const reason = nobody ? 'nobody answers under that id' : `no answer within ${timeoutMs} ms`;
      throw new ServerUnavailable(target, reason, { cause: error });
    }
    try {
      const value = JSON.parse(new TextDecoder().decode(reply.data)) as unknown;
      if (typeof value === 'object' && value !== null && !Array.isArray(value))
        return value as Record<string, unknown>;
    } catch {
      // fall through
    }
    throw new RemoteError(target, 'answered with something other than a JSON object', undefined);
  }

  async #answer(message: Msg, guard: ReplayGuard, handler: RequestHandler): Promise<void> {
    let answer: Answer;
    try {
      const checked = guard.check(message.subject, parseJson(message.data));
      if ('refused' in checked) {
        this.#repeats.log(
          'warn',
          `refused request: ${checked.refused}`,
          { subject: message.subject, reason: checked.refused },
          `refused a request between masters: ${checked.refused} (nothing was run)`,
        );
        answer = {
          ok: false,
          code: ErrorCode.AdminCommandFailed,
          message: `refused: ${checked.refused}`,
        };
      } else {
        const request = JSON.parse(checked.body) as JsonValue;
        answer = { ok: true, result: await handler(request) };
      }
    } catch (error) {
      const code = error instanceof ShaddockError ? error.code : ErrorCode.AdminCommandFailed;
      answer = { ok: false, code, message: error instanceof Error ? error.message : String(error) };
    }
    if (!message.reply) return;
    try {
      message.respond(JSON.stringify(answer));
    } catch (error) {
      this.#repeats.log(
        'warn',
        'respond',
        { err: error },
        'could not answer a request (the connection is closing?)',
      );
    }
  }

  #connect(): Promise<NatsConnection> {
    if (this.#connection === undefined) {
      const opening = this.#options.connection();
      this.#connection = opening;
      // a failed first connection may be tried again by the next call
      opening.catch(() => {
        if (this.#connection === opening) this.#connection = undefined;
      });
    }
    return this.#connection;
  }

  async #openBucket(): Promise<KV> {
    const connection = await this.#connect();
    return new Kvm(jetstream(connection)).create(leaderBucket(this.#options.cluster), {
      storage: 'memory',
      history: 1,
      description: `Shaddock cluster "${this.#options.cluster}": the leading master's lease`,
    });
  }

  #checkOpen(): void {
    if (this.#closed) throw new ShaddockError(ErrorCode.MasterState, 'the control plane is closed');
  }
}

/** `data` as JSON, or `undefined`. */
function parseJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data)) as unknown;
  } catch {
    return undefined;
  }
}

function checkId(id: string): void {
  if (!isNatsSafeId(id)) {
    throw new ShaddockError(
      ErrorCode.AdminCommandFailed,
      `"${id}" cannot name a NATS subject: use letters, digits, "-", "_", "=", "/" (and "." between them)`,
    );
  }
}

/** Options of {@link natsControlPlane} beside the cluster's config. */
export type NatsControlPlaneDriverOptions = Pick<NatsControlPlaneOptions, 'lease'>;

/**
 * The control-plane driver for `createDrivers(config)`: a {@link NatsControlPlane} on the process's
 * shared NATS connection (taken on first use, so a server that never sends an order holds nothing).
 *
 * @example
 * export function createDrivers(config: DriverConfig): Drivers {
 *   return { membership: natsMembership(config), controlPlane: natsControlPlane(config) };
 * }
 */
export function natsControlPlane(
  config: DriverConfig,
  options: NatsControlPlaneDriverOptions = {},
): (context: DriverContext) => NatsControlPlane {
  return (context) => {
    const connections = sharedNatsConnections(config, context);
    return new NatsControlPlane({
      ...options,
      cluster: config.name,
      secret: config.secret,
      connection: () => connections.acquire(),
      release: () => connections.release(),
      logger: context.logger,
    });
  };
}
