import type { Application } from 'shaddock';
import { RedisDriverError, RedisErrorCode } from './errors.js';
import type { RedisStoreOptions } from './store-options.js';

/** Where a plugin's Redis is: its own options, else the cluster's config. */
export interface PluginRedisOptions {
  /** `redis://…`; default the cluster's `redis.url` (`config/cluster.*`, `SHADDOCK_REDIS_URL`). */
  readonly url?: string;
  /** The cluster name its keys start with (`shaddock:<cluster>:`); default the cluster's `name`. */
  readonly cluster?: string;
}

/** Whether the plugin's options point elsewhere than the app's drivers (an explicit URL or cluster). */
export function explicitTarget(options: PluginRedisOptions): boolean {
  return options.url !== undefined || options.cluster !== undefined;
}

/** The store options a plugin opens its own store with; throws when no Redis URL is known. */
export function pluginStoreOptions(
  app: Application,
  plugin: string,
  options: PluginRedisOptions,
): RedisStoreOptions {
  const url = options.url ?? app.cluster.drivers.redis?.url;
  if (url === undefined) {
    throw new RedisDriverError(
      RedisErrorCode.OptionsInvalid,
      `${plugin} needs Redis: give it { url }, or name Redis in config/cluster.* ("redis") or SHADDOCK_REDIS_URL`,
    );
  }
  return {
    url,
    cluster: options.cluster ?? app.cluster.drivers.name,
    logger: app.logger.child({ category: 'redis' }),
  };
}

/**
 * What the plugins need of a Redis store, by shape rather than by class: the app's stores may come
 * from another copy of this package (the one `createApp` loaded for `config/cluster.*`).
 */
export interface RedisStoreShape {
  readonly connection: { readonly url: string };
  readonly keys: { readonly cluster: string };
  connect(): Promise<void>;
}

/** Whether `store` is a Redis store of this package (of any copy of it). */
export function isRedisStore(store: unknown): store is RedisStoreShape {
  const candidate = store as Partial<RedisStoreShape> | undefined;
  return (
    typeof candidate?.connection?.url === 'string' &&
    typeof candidate.keys?.cluster === 'string' &&
    typeof candidate.connect === 'function'
  );
}

/** Whether `store` is a Redis store that serves `target` (same URL, same cluster). */
export function servesTarget(store: unknown, target: RedisStoreOptions): boolean {
  return isRedisStore(store) && store.connection.url === target.url && store.keys.cluster === target.cluster;
}
