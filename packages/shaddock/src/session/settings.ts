import type { JsonObject, JsonValue } from '@shaddock/protocol';

/** The value of an own key: never an inherited property such as `constructor` or `__proto__`. */
export function readSetting(settings: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(settings, key) ? settings[key] : undefined;
}

/** Sets an own data property; plain assignment to `__proto__` would change the prototype instead. */
export function writeSetting(settings: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') {
    Object.defineProperty(settings, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    settings[key] = value;
  }
}

/** A deep copy of a JSON value (faster than `structuredClone` for plain JSON). */
export function cloneJson(value: JsonValue): JsonValue {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(cloneJson);
  return cloneSettings(value);
}

/** A deep copy of a settings object. */
export function cloneSettings(settings: JsonObject): JsonObject {
  const copy: JsonObject = {};
  for (const key of Object.keys(settings)) {
    const value = settings[key];
    if (value !== undefined) writeSetting(copy, key, cloneJson(value));
  }
  return copy;
}

/** The settings a `push` of some keys sends: the present ones, and the ones removed here. */
export interface PickedSettings {
  readonly settings: JsonObject;
  readonly removed: string[];
}

/** Picks `keys` from `settings`; a key absent here is reported as removed, as Pomelo's push of a removed key clears it. */
export function pickSettings(settings: JsonObject, keys: readonly string[]): PickedSettings {
  const picked: JsonObject = {};
  const removed: string[] = [];
  for (const key of keys) {
    const value = readSetting(settings, key);
    if (value === undefined) removed.push(key);
    else writeSetting(picked, key, value);
  }
  return { settings: picked, removed };
}
