import type { JsonObject } from '@shaddock/protocol';
import { ErrorCode, RemoteError, ServerUnavailable, ShaddockError } from '../errors.js';
import type { MembershipView } from '../membership/index.js';
import type { RpcClient } from '../rpc/index.js';
import { BackendSession, type BackendSessionCalls } from './backend-session.js';
import type { SessionData, SessionRemote } from './session-data.js';
import type { StatusEntry, StatusStore } from './status-store.js';

/** What the service needs of an RPC client. */
export type SessionRpcClient = Pick<RpcClient, 'invoke'>;

/** Options of {@link BackendSessionService}. */
export interface BackendSessionServiceOptions {
  /** Where frontends are found (their server type names the remote). */
  membership: MembershipView;
  /** The RPC client, or a function that returns it (the app's exists once its RPC component started). */
  rpcClient: SessionRpcClient | (() => SessionRpcClient);
  /**
   * Who is online where (the `statusStore` driver). When it is `shared`, `findByUid` and `locate`
   * read it and ask only the frontends it names; without it, or with a store of this process only,
   * they ask every frontend.
   */
  statusStore?: StatusStore;
}

/** The session error codes a frontend's refusal keeps on the caller's side. */
const SESSION_CODES: ReadonlySet<string | number> = new Set([
  ErrorCode.SessionNotFound,
  ErrorCode.SessionAlreadyBound,
  ErrorCode.SessionNotBound,
  ErrorCode.SessionUidTaken,
]);

/**
 * Sessions seen from any server: each call goes to the frontend that holds the connection, as
 * `sys.<frontend type>.sessionRemote.<method>`. A frontend not in membership (or that drops with
 * the call in flight) rejects at once with `ServerUnavailable`. When the frontend refuses (no such
 * session, bound to another uid, uid taken), the error is a `ShaddockError` with the same session
 * code the frontend raised, its `cause` the `RemoteError`.
 *
 * @example
 * const sessions = app.services.get('backendSessionService');
 * for (const session of await sessions.findByUid('alice')) await session.kick('banned');
 */
export class BackendSessionService implements BackendSessionCalls {
  readonly #membership: MembershipView;
  readonly #rpcClient: () => SessionRpcClient;
  readonly #status: StatusStore | undefined;

  constructor(options: BackendSessionServiceOptions) {
    this.#membership = options.membership;
    this.#status = options.statusStore?.shared === true ? options.statusStore : undefined;
    const client = options.rpcClient;
    this.#rpcClient = typeof client === 'function' ? client : () => client;
  }

  /** The session of a forwarded message, from its snapshot. */
  create(data: SessionData): BackendSession {
    return new BackendSession(data, this);
  }

  async get(frontendId: string, sessionId: number): Promise<BackendSession | undefined> {
    const data = await this.#call(frontendId, 'getSessionById', [sessionId]);
    return data === null ? undefined : this.create(data);
  }

  async getByUid(frontendId: string, uid: string): Promise<BackendSession[]> {
    const sessions = await this.#call(frontendId, 'getSessionsByUid', [uid]);
    return sessions.map((data) => this.create(data));
  }

  /**
   * The sessions of `uid` wherever they are, without knowing its frontend: with a shared status
   * store, from the frontends the store names; otherwise from every frontend. Frontends are asked
   * in parallel; one that is gone by the time it is asked has no sessions; any other failure
   * rejects.
   */
  async findByUid(uid: string): Promise<BackendSession[]> {
    const frontendIds =
      this.#status === undefined ? this.#allFrontends() : distinctFrontends(await this.#status.lookup(uid));
    const found = await Promise.all(
      frontendIds.map((frontendId) =>
        this.getByUid(frontendId, uid).catch((error: unknown) => {
          if (error instanceof ServerUnavailable) return [];
          throw error;
        }),
      ),
    );
    return found.flat();
  }

  /**
   * Where `uid` is online: a frontend and session id per session (what `pushMessageByUids` needs).
   * With a shared status store, its record (frontends no longer in membership left out); otherwise
   * what every frontend answers, as {@link findByUid}.
   */
  async locate(uid: string): Promise<StatusEntry[]> {
    if (this.#status === undefined) {
      return (await this.findByUid(uid)).map((session) => ({
        frontendId: session.frontendId,
        sessionId: session.id,
      }));
    }
    const entries = await this.#status.lookup(uid);
    return entries.filter((entry) => this.#membership.get(entry.frontendId) !== undefined);
  }

  bind(frontendId: string, sessionId: number, uid: string): Promise<void> {
    return this.#call(frontendId, 'bind', [sessionId, uid]);
  }

  unbind(frontendId: string, sessionId: number, uid: string): Promise<void> {
    return this.#call(frontendId, 'unbind', [sessionId, uid]);
  }

  /** Merges `settings` into the session's, then deletes `removed`. */
  push(frontendId: string, sessionId: number, settings: JsonObject, removed: string[] = []): Promise<void> {
    return removed.length === 0
      ? this.#call(frontendId, 'push', [sessionId, settings])
      : this.#call(frontendId, 'push', [sessionId, settings, removed]);
  }

  /** Replaces the session's settings. */
  pushAll(frontendId: string, sessionId: number, settings: JsonObject): Promise<void> {
    return this.#call(frontendId, 'pushAll', [sessionId, settings]);
  }

  kickBySessionId(frontendId: string, sessionId: number, reason = 'kick'): Promise<void> {
    return this.#call(frontendId, 'kickBySessionId', [sessionId, reason]);
  }

  kickByUid(frontendId: string, uid: string, reason = 'kick'): Promise<void> {
    return this.#call(frontendId, 'kickByUid', [uid, reason]);
  }

  #allFrontends(): string[] {
    return this.#membership
      .servers()
      .filter((server) => server.frontend)
      .map((server) => server.id);
  }

  async #call<Method extends keyof SessionRemote>(
    frontendId: string,
    method: Method,
    args: Parameters<SessionRemote[Method]>,
  ): Promise<Awaited<ReturnType<SessionRemote[Method]>>> {
    const frontend = this.#membership.get(frontendId);
    if (frontend === undefined) throw new ServerUnavailable(frontendId, 'not in membership');
    const target = {
      namespace: 'sys',
      serverType: frontend.serverType,
      remote: 'sessionRemote',
      method,
    } as const;
    try {
      const result = await this.#rpcClient().invoke(frontendId, target, args);
      return result as Awaited<ReturnType<SessionRemote[Method]>>;
    } catch (error) {
      if (
        error instanceof RemoteError &&
        error.remoteCode !== undefined &&
        SESSION_CODES.has(error.remoteCode)
      ) {
        throw new ShaddockError(error.remoteCode as ErrorCode, error.message, { cause: error });
      }
      throw error;
    }
  }
}

/** The frontends of these entries, each once, in order. */
function distinctFrontends(entries: readonly StatusEntry[]): string[] {
  return [...new Set(entries.map((entry) => entry.frontendId))];
}
