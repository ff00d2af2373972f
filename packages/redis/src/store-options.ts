import { getLogger, type Logger } from 'shaddock';
import { acquireConnection, type RedisConnection } from './connection.js';
import { ClusterKeys } from './keys.js';
import { MalformedData } from './malformed-data.js';

/** Options of the Redis stores. */
export interface RedisStoreOptions {
  /** `redis://[user:pass@]host:port[/db]` (or `rediss://`): the cluster's `redis.url`. */
  readonly url: string;
  /** The cluster's name (`config/cluster.*` `name`): every key starts with `shaddock:<cluster>:`. */
  readonly cluster: string;
  /** Where outages and malformed data are logged; default `getLogger('redis')`. */
  readonly logger?: Logger;
}

/** What a Redis store is made of: the process's connection to its URL, its keys, its malformed-data log. */
export interface StoreParts {
  readonly connection: RedisConnection;
  readonly keys: ClusterKeys;
  readonly malformed: MalformedData;
}

/** Acquires the process's connection to `options.url` (released by the store's `close`). */
export function storeParts(options: RedisStoreOptions): StoreParts {
  const keys = new ClusterKeys(options.cluster);
  const logger = options.logger ?? getLogger('redis');
  return { keys, connection: acquireConnection(options.url, logger), malformed: new MalformedData(logger) };
}
