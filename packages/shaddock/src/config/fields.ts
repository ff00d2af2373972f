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
