import type { JsonObject, JsonValue } from '@shaddock/protocol';
import type { Channel, ChannelService, PushReceiver } from '../channel/index.js';
import { ErrorCode, ShaddockError } from '../errors.js';
import { type Callback, settle } from './callback.js';
import type { Report } from './session.js';

/** A channel member as Pomelo gives it: `sid` is the frontend's id (kept as `frontendId` too). */
export interface PomeloMember {
  readonly uid: string;
  readonly sid: string;
  readonly frontendId: string;
}

/** Pomelo's push options: `except` is kept; the others are the connector's business. */
type PushOptions = { readonly except?: string | readonly string[] } & Record<string, unknown>;

/**
 * Pomelo's `[route,] msg[, opts][, cb]` arguments: the route may be left out when `msg.route`
 * holds it (Pomelo's legacy form), options and callback are optional.
 */
function pushArguments(args: readonly unknown[]): {
  route: string;
  body: JsonObject;
  options: PushOptions | undefined;
  rest: unknown[];
  callback: Callback | undefined;
} {
  const list = [...args];
  const callback = typeof list[list.length - 1] === 'function' ? (list.pop() as Callback) : undefined;
  let route: unknown;
  if (typeof list[0] === 'string') route = list.shift();
  const body = (list.shift() ?? {}) as JsonObject;
  route ??= body['route'];
  if (typeof route !== 'string' || route === '') {
    throw new ShaddockError(ErrorCode.AppState, 'pushMessage needs a route: (route, msg) or msg.route');
  }
  const options = (
    typeof list[list.length - 1] === 'object' && list.length > 0 && !Array.isArray(list[list.length - 1])
      ? list.pop()
      : undefined
  ) as PushOptions | undefined;
  return { route, body, options, rest: list, callback };
}

/** Pomelo's `Channel` over a native one: `add/leave(uid, sid)`, `getMember` with `sid`, callback pushes. */
export class PomeloChannel {
  readonly #native: Channel;
  readonly #report: Report;

  constructor(native: Channel, report: Report) {
    this.#native = native;
    this.#report = report;
  }

  get name(): string {
    return this.#native.name;
  }

  get userAmount(): number {
    return this.#native.userAmount;
  }

  getUserAmount(): number {
    return this.#native.userAmount;
  }

  add(uid: string, sid: string): boolean {
    return this.#native.add(String(uid), sid);
  }

  leave(uid: string, sid: string): boolean {
    return this.#native.leave(String(uid), sid);
  }

  getMembers(): string[] {
    return this.#native.getMembers();
  }

  getMember(uid: string): PomeloMember | undefined {
    const member = this.#native.getMember(String(uid));
    return member && { uid: member.uid, sid: member.frontendId, frontendId: member.frontendId };
  }

  /** Pomelo's Pinus-era alias of `leave` without a frontend id. */
  removeMember(uid: string): boolean {
    const member = this.getMember(uid);
    return member !== undefined && this.leave(member.uid, member.sid);
  }

  /** `pushMessage([route,] msg[, opts][, cb])`; `cb(err, failedUids)`. */
  pushMessage(...args: unknown[]): void {
    let push: Promise<string[]>;
    let callback: Callback | undefined;
    try {
      const parsed = pushArguments(args);
      callback = parsed.callback;
      push = this.#native.pushMessage(
        parsed.route,
        parsed.body,
        parsed.options?.except === undefined ? undefined : { except: parsed.options.except },
      );
    } catch (error) {
      push = Promise.reject(error);
      callback ??=
        typeof args[args.length - 1] === 'function' ? (args[args.length - 1] as Callback) : undefined;
    }
    settle(push, callback, this.#report, (failed) => [failed]);
  }

  destroy(): void {
    this.#native.destroy();
  }
}

/** Pomelo's `channelService` over the native one. */
export class PomeloChannelService {
  readonly #native: () => ChannelService;
  readonly #report: Report;
  readonly #channels = new WeakMap<Channel, PomeloChannel>();

  constructor(native: () => ChannelService, report: Report) {
    this.#native = native;
    this.#report = report;
  }

  /** The native service, for code that wants promises. */
  get native(): ChannelService {
    return this.#native();
  }

  createChannel(name: string): PomeloChannel {
    return this.#wrap(this.#native().createChannel(name));
  }

  getChannel(name: string, create = false): PomeloChannel | undefined {
    const channel = this.#native().getChannel(name, create);
    return channel && this.#wrap(channel);
  }

  destroyChannel(name: string): void {
    this.#native().destroyChannel(name);
  }

  /** `pushMessageByUids(route, msg, [{uid, sid}], [opts], cb)`, or the legacy `(msg-with-route, uids, …)`. */
  pushMessageByUids(...args: unknown[]): void {
    const list = [...args];
    const callback = typeof list[list.length - 1] === 'function' ? (list.pop() as Callback) : undefined;
    const route = typeof list[0] === 'string' ? (list.shift() as string) : undefined;
    const body = (list.shift() ?? {}) as JsonObject;
    const receivers = (list.shift() ?? []) as PushReceiver[];
    const chosen = route ?? body['route'];
    const push =
      typeof chosen === 'string' && Array.isArray(receivers)
        ? this.#native().pushMessageByUids(chosen, body, receivers)
        : Promise.reject(
            new ShaddockError(
              ErrorCode.AppState,
              'pushMessageByUids(route, msg, [{ uid, sid }], [opts], cb)',
            ),
          );
    settle(push, callback, this.#report, (failed) => [failed]);
  }

  /** `broadcast(serverType, route, msg, [opts { binded, filterParam }], cb)`. */
  broadcast(serverType: string, route: string, body: JsonObject, ...rest: unknown[]): void {
    const callback = typeof rest[rest.length - 1] === 'function' ? (rest.pop() as Callback) : undefined;
    const options = (rest[0] ?? {}) as { binded?: boolean; filterParam?: JsonValue };
    const broadcastOptions = {
      ...(options.binded === undefined ? {} : { binded: options.binded }),
      ...(options.filterParam === undefined ? {} : { filterParam: options.filterParam }),
    };
    settle(this.#native().broadcast(serverType, route, body, broadcastOptions), callback, this.#report);
  }

  #wrap(channel: Channel): PomeloChannel {
    let wrapped = this.#channels.get(channel);
    if (wrapped === undefined) {
      wrapped = new PomeloChannel(channel, this.#report);
      this.#channels.set(channel, wrapped);
    }
    return wrapped;
  }
}
