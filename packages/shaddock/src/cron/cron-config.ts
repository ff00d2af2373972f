import { type ConfigFile, fieldPath, isRecord, readConfigFile } from '../config/index.js';
import { ConfigError, ErrorCode } from '../errors.js';
import { type CheckedCron, checkCronEntry } from './cron-entry.js';

/** This server's identity, as far as crons.json cares. */
export interface CronServer {
  readonly base: string;
  readonly env: string;
  readonly serverType: string;
  readonly serverId: string;
}

/**
 * Reads `config/crons.*` (or `config/<env>/crons.*`) in Pomelo's shape — server type → list of
 * `{ id, time, action, serverId? }`, optionally keyed by environment first — and answers the
 * crons of this server: those of its type without a `serverId` or with its own. No file: none.
 * Any malformed entry, of any type, is a `ConfigError` naming the file and the entry
 * (`development.chat[1]`), and so is an id that two of this server's crons share. A file keyed by
 * environments without this one holds no crons for it.
 *
 * @example
 * const crons = await readCronConfig({ base, env: 'development', serverType: 'chat', serverId: 'chat-1' });
 */
export async function readCronConfig(server: CronServer): Promise<CheckedCron[]> {
  const loaded = await readCronFile(server);
  if (loaded === undefined) return [];
  const { file, value, at } = loaded;
  if (!isRecord(value)) {
    throw new ConfigError(
      ErrorCode.CronInvalid,
      file,
      at === '' ? undefined : at,
      'expected an object mapping server types to lists of crons',
    );
  }
  const mine: CheckedCron[] = [];
  const placed = new Map<string, string>();
  for (const [serverType, list] of Object.entries(value)) {
    const listAt = fieldPath(at, serverType);
    if (!Array.isArray(list)) {
      throw new ConfigError(ErrorCode.CronInvalid, file, listAt, 'expected a list of crons');
    }
    list.forEach((item: unknown, index) => {
      const entryAt = `${listAt}[${index}]`;
      const checked = checkCronEntry(item);
      if (typeof checked === 'string') throw new ConfigError(ErrorCode.CronInvalid, file, entryAt, checked);
      const { serverId } = checked.entry;
      if (serverType !== server.serverType || (serverId !== undefined && serverId !== server.serverId))
        return;
      const earlier = placed.get(checked.key);
      if (earlier !== undefined) {
        throw new ConfigError(
          ErrorCode.CronInvalid,
          file,
          entryAt,
          `cron id ${checked.key} is also ${earlier}, and both would run on ${server.serverId}`,
        );
      }
      placed.set(checked.key, entryAt);
      mine.push(checked);
    });
  }
  return mine;
}

/** The file, or nothing when there is none or it is keyed by environments other than this one (as Pomelo). */
async function readCronFile(server: CronServer): Promise<ConfigFile | undefined> {
  try {
    return await readConfigFile(server.base, server.env, 'crons', cronsAreEnvKeyed);
  } catch (error) {
    if (error instanceof ConfigError && error.code === ErrorCode.ConfigUnknownEnv) return undefined;
    throw error;
  }
}

/** Keyed by environment when every value is an object (a flat file maps types to lists). */
function cronsAreEnvKeyed(content: unknown): boolean {
  if (!isRecord(content)) return false;
  const values = Object.values(content);
  return values.length > 0 && values.every(isRecord);
}
