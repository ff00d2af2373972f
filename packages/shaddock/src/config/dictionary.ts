import { ConfigError, ErrorCode } from '../errors.js';
import { isRecord } from './config-file.js';
import { describe } from './fields.js';

/**
 * The extra routes of a `config/dictionary.json`, in file order. As in Pomelo, which appends every
 * value of the file to the dictionary: a list of routes (`["onChat", "onAdd"]`), or an object whose
 * values are routes (its keys are not used), so the `{}` of Pomelo's own app template adds none.
 * Anything else is a `ConfigInvalid` naming the file and the entry.
 */
export function dictionaryRoutes(file: string, content: unknown): string[] {
  let entries: [string, unknown][];
  if (Array.isArray(content)) entries = content.map((value: unknown, index) => [`[${index}]`, value]);
  else if (isRecord(content)) entries = Object.entries(content);
  else {
    throw new ConfigError(
      ErrorCode.ConfigInvalid,
      file,
      undefined,
      `must be a list of route strings (or an object whose values are routes), got ${describe(content)}`,
    );
  }
  return entries.map(([at, route]) => {
    if (typeof route !== 'string' || route === '') {
      throw new ConfigError(
        ErrorCode.ConfigInvalid,
        file,
        at,
        `a route must be a non-empty string, got ${describe(route)}`,
      );
    }
    return route;
  });
}
