import type { JsonObject, JsonValue } from '@shaddock/protocol';
import type { BroadcastOptions, ChannelRemote } from './channel-remote.js';

/** A frontend session as pushes see it: the `session/` folder's `Session` fits this shape. */
export interface PushSession {
  readonly id: number;
  readonly uid: string | undefined;
  readonly frontendId: string;
}

/** What a push needs of the frontend's connector (service `connector`). */
export interface PushConnector {
  /** Encodes a push package once; the same bytes go to every target. */
  encodePush(route: string, body: JsonObject): Uint8Array;
  /** Hands the bytes to the push scheduler for every session, in call order. */
  send(packageBytes: Uint8Array, sessions: Iterable<PushSession>): void;
}

/** What a push needs of the frontend's session service (service `sessionService`). */
export interface PushSessionService {
  getByUid(uid: string): readonly PushSession[];
  forEachSession(visit: (session: PushSession) => void): void;
  forEachBoundSession(visit: (session: PushSession) => void): void;
}

/**
 * The app setting `broadcastFilter`: a broadcast skips every session it answers `false` for.
 *
 * @example
 * app.set('broadcastFilter', (session, route, body, filterParam) => session.uid !== filterParam);
 */
export type BroadcastFilter = (
  session: PushSession,
  route: string,
  body: JsonObject,
  filterParam: JsonValue | undefined,
) => boolean;

/** Where a frontend finds its connector, sessions and filter, at call time (their components may start later). */
export interface FrontendPushContext {
  connector(): PushConnector;
  sessionService(): PushSessionService;
  broadcastFilter(): BroadcastFilter | undefined;
}

/**
 * The frontend's end of every push: sessions of the uids, one encode, one `connector.send`.
 * Synchronous on purpose: pushes reach the connector in the order they arrive (RPC frames in
 * connection order, local calls in call order), which is what keeps a channel's pushes ordered.
 */
export class FrontendPusher {
  readonly #context: FrontendPushContext;
  #connector: PushConnector | undefined;
  #sessions: PushSessionService | undefined;

  constructor(context: FrontendPushContext) {
    this.#context = context;
  }

  /** Writes the push to every session of `uids`; returns the uids with no session here. */
  push(route: string, body: JsonObject, uids: readonly string[]): string[] {
    const sessionService = this.#sessionService();
    const failed: string[] = [];
    const targets: PushSession[] = [];
    for (const uid of uids) {
      const sessions = sessionService.getByUid(uid);
      if (sessions.length === 0) failed.push(uid);
      else for (const session of sessions) targets.push(session);
    }
    if (targets.length > 0) {
      const connector = this.#pushConnector();
      connector.send(connector.encodePush(route, body), targets);
    }
    return failed;
  }

  /** Writes the push to every session here (only bound ones with `binded`) that the app's `broadcastFilter` lets through. */
  broadcast(route: string, body: JsonObject, options: BroadcastOptions): void {
    const sessionService = this.#sessionService();
    const filter = this.#context.broadcastFilter();
    const filterParam = options.filterParam;
    const targets: PushSession[] = [];
    const visit =
      filter === undefined
        ? (session: PushSession) => {
            targets.push(session);
          }
        : (session: PushSession) => {
            if (filter(session, route, body, filterParam)) targets.push(session);
          };
    if (options.binded === true) sessionService.forEachBoundSession(visit);
    else sessionService.forEachSession(visit);
    if (targets.length === 0) return;
    const connector = this.#pushConnector();
    connector.send(connector.encodePush(route, body), targets);
  }

  // Looked up at the first push, then kept: the services of a process do not change once provided.
  #sessionService(): PushSessionService {
    if (this.#sessions === undefined) this.#sessions = this.#context.sessionService();
    return this.#sessions;
  }

  #pushConnector(): PushConnector {
    if (this.#connector === undefined) this.#connector = this.#context.connector();
    return this.#connector;
  }
}

/**
 * The system remote `channelRemote` over a frontend's pusher: what other servers call. Only its
 * two methods are callable remotely.
 */
export function createChannelRemote(pusher: FrontendPusher): ChannelRemote {
  return {
    async pushMessage(route: string, body: JsonObject, uids: string[]): Promise<string[]> {
      return pusher.push(route, body, uids);
    },
    async broadcast(route: string, body: JsonObject, options: BroadcastOptions): Promise<void> {
      pusher.broadcast(route, body, options ?? {});
    },
  };
}
