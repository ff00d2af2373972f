import type { JsonObject } from '@shaddock/protocol';
import { ErrorCode, ShaddockError } from '../errors.js';
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

/** The members a channel holds on one frontend, with the list a push sends (rebuilt after a change only). */
class FrontendGroup {
  readonly uids = new Set<string>();
  // Replaced, never changed in place: a push still waiting for its RPC connection keeps its own list.
  #list: readonly string[] | undefined;

  add(uid: string): void {
    this.uids.add(uid);
    this.#list = undefined;
  }

  delete(uid: string): void {
    this.uids.delete(uid);
    this.#list = undefined;
  }

  list(): readonly string[] {
    this.#list ??= [...this.uids];
    return this.#list;
  }

  /** The list without the excepted uids; the shared list itself when none of them is here. */
  listWithout(except: string | readonly string[]): readonly string[] {
    if (typeof except === 'string') {
      return this.uids.has(except) ? this.list().filter((uid) => uid !== except) : this.list();
    }
    if (!except.some((uid) => this.uids.has(uid))) return this.list();
    const skipped = new Set(except);
    return this.list().filter((uid) => !skipped.has(uid));
  }
}

/**
 * A named set of users to push to, kept in this process (as in Pomelo). Members are grouped by
 * the frontend that holds them, so a push is one call per frontend carrying that frontend's uids;
 * each frontend encodes the message once. A uid is one member: adding it again with another
 * frontend moves it there (the user reconnected elsewhere).
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
  readonly #dispatcher: PushDispatcher;
  readonly #onDestroy: (channel: Channel) => void;
  readonly #groups = new Map<string, FrontendGroup>();
  readonly #frontendOf = new Map<string, string>();
  #destroyed = false;

  /** @internal Channels are made by `ChannelService.createChannel`. */
  constructor(name: string, dispatcher: PushDispatcher, onDestroy: (channel: Channel) => void) {
    this.name = name;
    this.#dispatcher = dispatcher;
    this.#onDestroy = onDestroy;
  }

  /** How many members the channel has. */
  get userAmount(): number {
    return this.#frontendOf.size;
  }

  /**
   * Adds `uid`, connected to `frontendId`. False when the channel is destroyed or the frontend id
   * is missing; true when it is a member now (already one there, or moved from another frontend).
   */
  add(uid: string, frontendId: string): boolean {
    if (this.#destroyed || typeof frontendId !== 'string' || frontendId === '') return false;
    const current = this.#frontendOf.get(uid);
    if (current === frontendId) return true;
    if (current !== undefined) this.#removeFromGroup(uid, current);
    let group = this.#groups.get(frontendId);
    if (group === undefined) {
      group = new FrontendGroup();
      this.#groups.set(frontendId, group);
    }
    group.add(uid);
    this.#frontendOf.set(uid, frontendId);
    return true;
  }

  /** Removes `uid` if it is a member on `frontendId` (a stale leave from a frontend it left does nothing). */
  leave(uid: string, frontendId: string): boolean {
    if (this.#frontendOf.get(uid) !== frontendId) return false;
    this.#frontendOf.delete(uid);
    this.#removeFromGroup(uid, frontendId);
    return true;
  }

  /** Every member's uid. */
  getMembers(): string[] {
    return [...this.#frontendOf.keys()];
  }

  /** The member `uid`, if it is one. */
  getMember(uid: string): ChannelMember | undefined {
    const frontendId = this.#frontendOf.get(uid);
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
    const except = options?.except;
    const pending: Promise<string[]>[] = [];
    for (const [frontendId, group] of this.#groups) {
      const uids = except === undefined ? group.list() : group.listWithout(except);
      if (uids.length > 0) pending.push(this.#dispatcher.toFrontend(frontendId, route, body, uids));
    }
    return this.#dispatcher.collect(pending);
  }

  /** Drops every member and removes the channel from its service; later `add`s return false. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#groups.clear();
    this.#frontendOf.clear();
    this.#onDestroy(this);
  }

  #removeFromGroup(uid: string, frontendId: string): void {
    const group = this.#groups.get(frontendId);
    if (group === undefined) return;
    group.delete(uid);
    if (group.uids.size === 0) this.#groups.delete(frontendId);
  }
}
