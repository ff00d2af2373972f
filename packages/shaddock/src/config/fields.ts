import type { JsonValue } from '@shaddock/protocol';
import { ConfigError, ErrorCode } from '../errors.js';
import { fieldPath } from './config-file.js';

/**
 * Readers for one field of a config object. Each takes the file and the field's path for its
 * error, and throws ONE `ConfigError` (`ConfigInvalid`) naming both. `null` counts as absent.
 */
export interface FieldSource {
  readonly file: string;
  /** The object's path in the file (`development.connector[0]`), `''` at the top. */
  readonly at: string;
  readonly record: Readonly<Record<string, unknown>>;
}

/** The `ConfigInvalid` error for `key` of `source`. */
export function invalid(source: FieldSource, key: string, message: string): ConfigError {
  return new ConfigError(ErrorCode.ConfigInvalid, source.file, fieldPath(source.at, key), message);
}

function present(source: FieldSource, key: string): unknown {
  const value = source.record[key];
  return value === null ? undefined : value;
}

/** A non-empty string, required. */
export function requiredString(source: FieldSource, key: string): string {
  const value = present(source, key);
  if (value === undefined) throw invalid(source, key, `missing "${key}"`);
  if (typeof value !== 'string' || value === '') {
    throw invalid(source, key, `"${key}" must be a non-empty string, got ${describe(value)}`);
  }
  return value;
}

/** A non-empty string, or `undefined` when absent. */
export function optionalString(source: FieldSource, key: string): string | undefined {
  return present(source, key) === undefined ? undefined : requiredString(source, key);
}

/** A whole number from `min` to `max`, written as a number or as a string of digits. */
export function optionalInteger(
  source: FieldSource,
  key: string,
  min: number,
  max: number,
): number | undefined {
  const value = present(source, key);
  if (value === undefined) return undefined;
  const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    throw invalid(source, key, `"${key}" must be an integer from ${min} to ${max}, got ${describe(value)}`);
  }
  return number;
}

/** A TCP port (0–65535; 0 lets the OS choose), or `undefined` when absent. */
export function optionalPort(source: FieldSource, key: string): number | undefined {
  return optionalInteger(source, key, 0, 65535);
}

/** `true`/`"true"` or `false`/`"false"` (Pomelo writes booleans as strings on the command line). */
export function optionalBoolean(source: FieldSource, key: string): boolean | undefined {
  const value = present(source, key);
  if (value === undefined) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw invalid(source, key, `"${key}" must be true or false, got ${describe(value)}`);
}

/** Node arguments: an array of strings, or one string split on spaces. */
export function optionalArgs(source: FieldSource, key: string): string[] | undefined {
  const value = present(source, key);
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value.split(/\s+/).filter((part) => part !== '');
  if (Array.isArray(value) && value.every((part) => typeof part === 'string')) return [...value];
  throw invalid(source, key, `"${key}" must be a string or an array of strings, got ${describe(value)}`);
}

/** A free field kept as written; it must be JSON (it travels as a `key=value` argument). */
export function freeField(source: FieldSource, key: string): JsonValue | undefined {
  const value = source.record[key];
  if (value === undefined) return undefined;
  if (!isJsonValue(value))
    throw invalid(source, key, `"${key}" must be a JSON value, got ${describe(value)}`);
  return value;
}

/** True for a value JSON can carry unchanged. */
export function isJsonValue(value: unknown): value is JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJsonValue);
  if (typeof value !== 'object') return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  return Object.values(value).every(isJsonValue);
}

/** A short description of a bad value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/**
 * The server fields Shaddock reads with a type (Pomelo's names); every other field of a server
 * entry is a free app field, passed to the server as written.
 */
export const SERVER_FIELDS: readonly string[] = [
  'id',
  'serverType',
  'host',
  'port',
  'clientHost',
  'clientPort',
  'frontend',
  'max-connections',
  'auto-restart',
  'restart-force',
  'args',
  'clusterCount',
];

/**
 * The known field that `key` most likely misspells, or `undefined` when it is not close to any:
 * the same name but for case, `-` and `_` (`frontEnd`, `autoRestart`), or one typing slip away
 * (a letter added, dropped, changed or two swapped: `hots`, `clientPrt`); two slips for names of
 * eight letters or more. Short app fields such as `area` stay clear of `args`.
 *
 * @example
 * likelyField('clientport', SERVER_FIELDS); // 'clientPort'
 */
export function likelyField(key: string, known: readonly string[]): string | undefined {
  if (known.includes(key)) return undefined;
  const typed = fold(key);
  let best: { readonly field: string; readonly distance: number } | undefined;
  for (const field of known) {
    const target = fold(field);
    const allowed = target.length >= 8 ? 2 : target.length >= 4 ? 1 : 0;
    const distance = editDistance(typed, target, allowed);
    if (distance <= allowed && (best === undefined || distance < best.distance)) best = { field, distance };
  }
  return best?.field;
}

/** A field name as a careless writer might vary it: lowercase, no `-` or `_`. */
function fold(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, '');
}

/**
 * The optimal string alignment distance of `a` and `b` (insertions, deletions, substitutions and
 * swaps of neighbours), or `limit + 1` as soon as it is known to exceed `limit`.
 */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let smallest = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        value = Math.min(value, (before[j - 2] ?? 0) + 1);
      current.push(value);
      smallest = Math.min(smallest, value);
    }
    if (smallest > limit) return limit + 1;
    before = previous;
    previous = current;
  }
  return previous[b.length] ?? limit + 1;
}
