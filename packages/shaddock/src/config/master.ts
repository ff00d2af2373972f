import type { JsonValue } from '@shaddock/protocol';
import { ConfigError, ErrorCode } from '../errors.js';
import { isRecord } from './config-file.js';
import { describe, type FieldSource, freeField, invalid, optionalPort, requiredString } from './fields.js';

/** The master process, from `config/master.*`: its id, and the host and port servers connect to. */
export interface MasterInfo {
  readonly id: string;
  readonly host: string;
  /** The master's port (Pomelo's admin console port); 0 lets the OS choose. */
  readonly port: number;
  /** Any other field of the file, kept as written. */
  readonly [field: string]: JsonValue | undefined;
}

type MutableMasterInfo = { -readonly [K in keyof MasterInfo]: MasterInfo[K] };

/** A flat master file has `id`/`host`/`port`; an env-keyed one only has objects as values. */
export function masterIsEnvKeyed(content: unknown): boolean {
  if (!isRecord(content) || 'id' in content || 'host' in content || 'port' in content) return false;
  const values = Object.values(content);
  return values.length > 0 && values.every(isRecord);
}

/** Reads the master's `{ id, host, port, … }` for one environment. */
export function readMaster(file: string, content: unknown, at: string): MasterInfo {
  if (!isRecord(content)) {
    throw new ConfigError(
      ErrorCode.ConfigInvalid,
      file,
      at === '' ? undefined : at,
      `expected an object { id, host, port }, got ${describe(content)}`,
    );
  }
  const source: FieldSource = { file, at, record: content };
  const id = requiredString(source, 'id');
  const host = requiredString(source, 'host');
  const port = optionalPort(source, 'port');
  if (port === undefined)
    throw invalid(source, 'port', 'missing "port" (the port servers reach the master on)');
  const master: MutableMasterInfo = { id, host, port };
  for (const key of Object.keys(content)) {
    if (key === 'id' || key === 'host' || key === 'port') continue;
    const value = freeField(source, key);
    if (value !== undefined) master[key] = value;
  }
  return master;
}
