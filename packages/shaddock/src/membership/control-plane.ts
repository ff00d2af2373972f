import type { JsonValue } from '@shaddock/protocol';

/**
 * An order to one server, carried to it by the {@link ControlPlane}: `stop` stops it gracefully
 * within `deadlineMs`, `kill` ends its process at once.
 */
export type ServerOrder =
  | { readonly order: 'stop'; readonly deadlineMs: number }
  | { readonly order: 'kill' };

/** Who runs for leadership: a master, and where admins reach it. */
export interface LeaderCandidate {
  readonly id: string;
  readonly host?: string;
  readonly port?: number;
}

/**
 * One candidate's place in an election, from {@link ControlPlane.campaign}. The lease behind it is
 * checked on every call, so `isLeader()` turns `false` as soon as this candidate can no longer be
 * sure nobody else took over (it could not renew the lease in time), before any standby may.
 */
export interface Leadership {
  /** Whether this candidate leads now. */
  isLeader(): boolean;
  /** The leader as last seen (this candidate when it leads); `undefined` while there is none. */
  leader(): LeaderCandidate | undefined;
  /** Leaves the election; a lease held is given up at once, so a standby takes over without waiting. */
  resign(): Promise<void>;
}

/** Answers requests sent to one address with {@link ControlPlane.request}. */
export type RequestHandler = (request: JsonValue) => Promise<JsonValue>;

/**
 * The cluster's control plane, for masters that do not spawn every server themselves (the
 * scale-out kind, several per cluster): orders to any server, requests between masters, and the
 * election of one leading master. The one-machine master needs none: it holds every server's
 * control connection. A driver package (`@shaddock/nats`) implements it; `createApp` provides it as
 * the service `controlPlane` when the drivers include one.
 *
 * @example
 * const plane = app.services.get('controlPlane');
 * await plane.order('chat-server-1', { order: 'stop', deadlineMs: 10_000 }, 2_000);
 * const leadership = await plane.campaign({ id: 'master-2', host, port }, (leader) => log(leader?.id));
 */
export interface ControlPlane {
  /**
   * Sends `order` to server `serverId` and resolves once it acknowledged it (before carrying it
   * out). Rejects with `ServerUnavailable` at once when nobody takes orders under that id, or when
   * no answer came within `timeoutMs`.
   */
  order(serverId: string, order: ServerOrder, timeoutMs: number): Promise<void>;
  /**
   * Runs `candidate` for leadership among masters; resolves once the first round is decided (this
   * candidate leads, or another one does). `onChange` is called with the leader each time it
   * changes (`undefined` while there is none), and `self` says whether it is this candidate.
   */
  campaign(
    candidate: LeaderCandidate,
    onChange: (leader: LeaderCandidate | undefined, self: boolean) => void,
  ): Promise<Leadership>;
  /** Answers the requests sent to `address` (a master's id); resolves once listening, with what stops it. */
  serve(address: string, handler: RequestHandler): Promise<() => Promise<void>>;
  /**
   * Sends `request` to whoever serves `address` and resolves with the answer. Rejects with
   * `ServerUnavailable` at once when nobody serves it, or after `timeoutMs` without an answer; a
   * handler's failure comes back as a `ShaddockError` with its code.
   */
  request(address: string, request: JsonValue, timeoutMs: number): Promise<JsonValue>;
  /** Resigns every campaign, stops serving and lets go of the connection. */
  close(): Promise<void>;
}
