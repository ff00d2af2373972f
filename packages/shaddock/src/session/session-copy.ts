import type { JsonObject, JsonValue } from '@shaddock/protocol';
import type { HandlerSession, SessionData } from './session-data.js';
import { cloneJson, type PickedSettings, pickSettings, readSetting, writeSetting } from './settings.js';

/**
 * The settings half of a `HandlerSession`: a copy of a session's settings, made for every request,
 * so it costs nothing until used. It starts out sharing the source's object (which its owner
 * never changes in place) and takes a shallow copy on its first write. An object or array value is
 * deep-copied the first time it is read, so a handler may change what it got, as with Pomelo's
 * deep copy, while the values nobody reads are never copied at all.
 */
export abstract class SessionCopy implements HandlerSession {
  readonly id: number;
  readonly frontendId: string;
  #shared: JsonObject;
  #own: JsonObject | undefined;
  /** Keys whose values in `#own` belong to this copy alone (set here, or copied on read). */
  #ownValues: Set<string> | undefined;

  protected constructor(id: number, frontendId: string, settings: JsonObject) {
    this.id = id;
    this.frontendId = frontendId;
    this.#shared = settings;
  }

  abstract readonly uid: string | undefined;
  abstract bind(uid: string): Promise<void>;
  abstract unbind(uid: string): Promise<void>;
  abstract push(...keys: string[]): Promise<void>;
  abstract pushAll(): Promise<void>;
  abstract kick(reason?: string): Promise<void>;

  get(key: string): JsonValue | undefined {
    const value = readSetting(this.#own ?? this.#shared, key);
    if (value === null || typeof value !== 'object' || this.#ownValues?.has(key)) return value;
    const copy = cloneJson(value);
    this.#claim(key, copy);
    return copy;
  }

  /** Changes this copy only; `push(key)` makes it the session's. */
  set(key: string, value: JsonValue): void {
    this.#claim(key, value);
  }

  remove(key: string): void {
    if (!Object.hasOwn(this.#own ?? this.#shared, key)) return;
    this.#own ??= { ...this.#shared };
    delete this.#own[key];
    this.#ownValues?.delete(key);
  }

  /** A snapshot to forward with a message. Its settings are shared with this copy until its next write. */
  export(): SessionData {
    if (this.#own !== undefined) {
      this.#shared = this.#own;
      this.#own = undefined;
      this.#ownValues = undefined;
    }
    return { id: this.id, frontendId: this.frontendId, uid: this.uid, settings: this.#shared };
  }

  /** What `push(...keys)` sends; the receiver copies it. */
  protected pickSettings(keys: readonly string[]): PickedSettings {
    return pickSettings(this.#own ?? this.#shared, keys);
  }

  /** What `pushAll()` sends; the receiver copies it. */
  protected currentSettings(): JsonObject {
    return this.#own ?? this.#shared;
  }

  #claim(key: string, value: JsonValue): void {
    this.#own ??= { ...this.#shared };
    writeSetting(this.#own, key, value);
    this.#ownValues ??= new Set();
    this.#ownValues.add(key);
  }
}
