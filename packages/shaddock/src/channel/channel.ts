import type { JsonObject } from '@shaddock/protocol';
import { ErrorCode, ShaddockError } from '../errors.js';
import type { ChannelStore, MemoryChannelStore } from './channel-store.js';
import type { PushDispatcher } from './push-dispatcher.js';

/** One member of a channel: a user and the frontend that holds its connection (Pomelo's `sid`). */
export interface ChannelMember {
  readonly uid: string;
  readonly frontendId: string;
}

/** Options of {@link Channel.pushMessage}. */
export interface ChannelPushOptions {
  /** Members left out of this push. */
  readonly except?: string | readonly string[];
}

/** @internal What a channel shares with its service. */
export interface ChannelContext {
  readonly dispatcher: PushDispatcher;
  /** The members of this process's channels: read by every method and by pushes, all synchronous. */
  readonly view: MemoryChannelStore;
  /** Writes a change through to the chosen store when it is not `view` itself (nothing otherwise). */
  readonly writeThrough: (write: (store: ChannelStore) => unknown) => void;
  /** Called once when the channel is destroyed. */
  readonly forget: (channel: Channel) => void;
}

/**
 * A named set of users to push to, kept in this process (as in Pomelo). Members are grouped by
 * the frontend that holds them, so a push is one call per frontend carrying that frontend's uids;
 * each frontend encodes the message once. A uid is one member: adding it again with another
 * frontend moves it there (the user reconnected elsewhere).
 *
 * Membership is read from this process's own memory view, synchronously (a push awaits nothing
 * before its calls go out); when the app chose another `channelStore` (Redis), every change is
 * also written through to it, in order, so other processes see the members.
 *
 * Made by `ChannelService.createChannel`.
 *
 * @example
 * const room = app.services.get('channelService').createChannel('room-1');
 * room.add(session.uid, session.frontendId);
 * const failed = await room.pushMessage('onChat', { from: 'ann', text: 'hi' }, { except: 'ann' });
 */
export class Channel {
  readonly name: string;
  readonly #context: ChannelContext;
  #destroyed = false;

  /** @internal Channels are made by `ChannelService.createChannel`. */
  constructor(name: string, context: ChannelContext) {
    this.name = name;
    this.#context = context;
  }

  /** How many members the channel has. */
  get userAmount(): number {
    return this.#destroyed ? 0 : this.#context.view.count(this.name);
  }

  /**
   * Adds `uid`, connected to `frontendId`. False when the channel is destroyed or the frontend id
   * is missing; true when it is a member now (already one there, or moved from another frontend).
   */
  add(uid: string, frontendId: string): boolean {
    if (this.#destroyed || typeof frontendId !== 'string' || frontendId === '') return false;
    if (this.#context.view.add(this.name, uid, frontendId)) {
      this.#context.writeThrough((store) => store.add(this.name, uid, frontendId));
    }
    return true;
  }

  /** Removes `uid` if it is a member on `frontendId` (a stale leave from a frontend it left does nothing). */
  leave(uid: string, frontendId: string): boolean {
    if (this.#destroyed || !this.#context.view.remove(this.name, uid, frontendId)) return false;
    this.#context.writeThrough((store) => store.remove(this.name, uid, frontendId));
    return true;
  }

  /** Every member's uid. */
  getMembers(): string[] {
    return this.#destroyed ? [] : this.#context.view.members(this.name);
  }

  /** The member `uid`, if it is one. */
  getMember(uid: string): ChannelMember | undefined {
    const frontendId = this.#destroyed ? undefined : this.#context.view.frontendOf(this.name, uid);
    return frontendId === undefined ? undefined : { uid, frontendId };
  }

  /**
   * Pushes `route` with `body` to every member (but `except`): one call per frontend, the same
   * order on every member. Resolves to the uids that got nothing: no session on their frontend,
   * or their frontend unreachable (logged once per outage). It never rejects for delivery; it
   * rejects with `ChannelDestroyed` on a destroyed channel.
   */
  pushMessage(route: string, body: JsonObject, options?: ChannelPushOptions): Promise<string[]> {
    if (this.#destroyed) {
      return Promise.reject(
        new ShaddockError(ErrorCode.ChannelDestroyed, `channel "${this.name}" is destroyed`),
      );
    }
    const { view, dispatcher } = this.#context;
    // the lists are the view's own, rebuilt only after a change: nothing is allocated per push
    const groups = view.membersByFrontend(this.name);
    const skipped = options?.except === undefined ? undefined : this.#exceptByFrontend(options.except);
    const pending: Promise<string[]>[] = [];
    for (const [frontendId, list] of groups) {
      const left = skipped?.get(frontendId);
      const uids = left === undefined ? list : list.filter((uid) => !left.has(uid));
      if (uids.length > 0) pending.push(dispatcher.toFrontend(frontendId, route, body, uids));
    }
    return dispatcher.collect(pending);
  }

  /** Drops every member and removes the channel from its service; later `add`s return false. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#context.view.destroy(this.name);
    this.#context.writeThrough((store) => store.destroy(this.name));
    this.#context.forget(this);
  }

  /** The excepted members by their frontend; undefined when none of them is a member. */
  #exceptByFrontend(except: string | readonly string[]): Map<string, Set<string>> | undefined {
    let found: Map<string, Set<string>> | undefined;
    for (const uid of typeof except === 'string' ? [except] : except) {
      const frontendId = this.#context.view.frontendOf(this.name, uid);
      if (frontendId === undefined) continue;
      found ??= new Map();
      let uids = found.get(frontendId);
      if (uids === undefined) {
        uids = new Set();
        found.set(frontendId, uids);
      }
      uids.add(uid);
    }
    return found;
  }
}
