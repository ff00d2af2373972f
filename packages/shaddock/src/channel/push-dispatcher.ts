import type { JsonObject } from '@shaddock/protocol';
import { ErrorCode, ServerUnavailable, ShaddockError } from '../errors.js';
import type { Logger } from '../logging/index.js';
import type { MembershipView } from '../membership/index.js';
import type { RpcClient, RpcTarget } from '../rpc/index.js';
import type { BroadcastOptions } from './channel-remote.js';
import type { FrontendPusher } from './frontend-push.js';

/**
 * Where the channel service reports frontends it cannot reach and failed store writes (once per
 * outage): the framework's logger (`getLogger('channel')` by default), or anything with its `warn`.
 */
export type ChannelLogger = Pick<Logger, 'warn'>;

/** What the dispatcher needs of its process. */
export interface PushDispatcherOptions {
  readonly serverId: string;
  readonly membership: MembershipView;
  /** The RPC client, asked for at the first push (the RPC component starts it). */
  readonly rpcClient: () => RpcClient;
  /** This process's own pusher when it is a frontend: pushes to it are direct calls. */
  readonly local: FrontendPusher | undefined;
  readonly logger: ChannelLogger;
}

/**
 * Sends pushes to frontends: one `channelRemote.pushMessage` per frontend, or a direct call on
 * this process's own pusher. Pushes to one frontend stay FIFO because every step is synchronous
 * and in call order: `RpcClient.invoke` queues the call on the frontend's one connection before
 * returning (calls made while it connects wait in order); the transport writes a turn's frames in
 * one write, in order; the frontend's RPC server runs each frame's method as it is read, and
 * `channelRemote.pushMessage` encodes and hands the bytes to the connector before returning. A
 * push to this process itself is a direct call that reaches the connector before `pushMessage`
 * returns, so the local part of a push neither overtakes nor trails the pushes before and after
 * it. (RPC `before` filters that delay calls unevenly would break this, as they would for any RPC.)
 */
export class PushDispatcher {
  readonly #options: PushDispatcherOptions;
  /** RPC targets by frontend type, built once per method. */
  readonly #targets = { pushMessage: new Map<string, RpcTarget>(), broadcast: new Map<string, RpcTarget>() };
  /** Frontends whose last push failed: logged once until one succeeds again. */
  readonly #failing = new Set<string>();

  constructor(options: PushDispatcherOptions) {
    this.#options = options;
  }

  /**
   * Pushes to `uids` on one frontend; resolves to the uids that got nothing (no session there, or
   * the frontend was unreachable). Never rejects. `uids` must not change afterwards.
   */
  toFrontend(
    frontendId: string,
    route: string,
    body: JsonObject,
    uids: readonly string[],
  ): Promise<string[]> {
    const { serverId, local, membership } = this.#options;
    if (frontendId === serverId && local !== undefined) {
      try {
        const failed = local.push(route, body, uids);
        this.#failing.delete(frontendId);
        return Promise.resolve(failed);
      } catch (error) {
        this.#report(frontendId, error);
        return Promise.resolve(uids.slice());
      }
    }
    const server = membership.get(frontendId);
    if (server === undefined) {
      this.#report(frontendId, new ServerUnavailable(frontendId, 'not in membership'));
      return Promise.resolve(uids.slice());
    }
    let reply: Promise<unknown>;
    try {
      reply = this.#options
        .rpcClient()
        .invoke(frontendId, this.#target(server.serverType, 'pushMessage'), [route, body, uids]);
    } catch (error) {
      this.#report(frontendId, error);
      return Promise.resolve(uids.slice());
    }
    return reply.then(
      (failed) => {
        this.#failing.delete(frontendId);
        return Array.isArray(failed) ? (failed as string[]) : [];
      },
      (error: unknown) => {
        this.#report(frontendId, error);
        return uids.slice();
      },
    );
  }

  /** Joins per-frontend results into one list of failed uids. */
  collect(pending: Promise<string[]>[]): Promise<string[]> {
    if (pending.length === 0) return Promise.resolve([]);
    if (pending.length === 1) return pending[0] as Promise<string[]>;
    return Promise.all(pending).then((results) => results.flat());
  }

  /**
   * Broadcasts to every frontend of `frontendType` in membership. Resolves once each answered;
   * rejects with `BroadcastFailed` only when there was at least one and every one failed.
   */
  async broadcast(
    frontendType: string,
    route: string,
    body: JsonObject,
    options: BroadcastOptions,
  ): Promise<void> {
    const { serverId, local, membership } = this.#options;
    const servers = membership.byType(frontendType);
    if (servers.length === 0) return;
    const pending: Promise<unknown>[] = [];
    for (const server of servers) {
      if (server.id === serverId && local !== undefined) {
        pending.push(attempt(() => local.broadcast(route, body, options)));
      } else {
        pending.push(
          attempt(() =>
            this.#options
              .rpcClient()
              .invoke(server.id, this.#target(frontendType, 'broadcast'), [route, body, options]),
          ),
        );
      }
    }
    const outcomes = await Promise.allSettled(pending);
    const errors: unknown[] = [];
    outcomes.forEach((outcome, index) => {
      const id = servers[index]?.id ?? frontendType;
      if (outcome.status === 'fulfilled') this.#failing.delete(id);
      else {
        errors.push(outcome.reason);
        this.#report(id, outcome.reason);
      }
    });
    if (errors.length === servers.length) {
      throw new ShaddockError(
        ErrorCode.BroadcastFailed,
        `broadcast ${route} reached no ${frontendType} server (${errors.length} failed)`,
        { cause: new AggregateError(errors) },
      );
    }
  }

  #target(serverType: string, method: 'pushMessage' | 'broadcast'): RpcTarget {
    const targets = this.#targets[method];
    let target = targets.get(serverType);
    if (target === undefined) {
      target = { namespace: 'sys', serverType, remote: 'channelRemote', method };
      targets.set(serverType, target);
    }
    return target;
  }

  #report(frontendId: string, error: unknown): void {
    if (this.#failing.has(frontendId)) return;
    this.#failing.add(frontendId);
    this.#options.logger.warn(
      { err: error, frontendId },
      `[${this.#options.serverId}] pushes to ${frontendId} fail (logged once until one succeeds)`,
    );
  }
}

/** Runs a local or remote call, turning a synchronous throw into a rejection. */
function attempt(call: () => unknown): Promise<unknown> {
  try {
    return Promise.resolve(call());
  } catch (error) {
    return Promise.reject(error);
  }
}
