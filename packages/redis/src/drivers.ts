import type { DriverConfig, DriverContext, Drivers } from 'shaddock';
import { RedisChannelStore } from './channel-store.js';
import { RedisDriverError, RedisErrorCode } from './errors.js';
import { RedisPlacementTable } from './placement-table.js';
import { RedisStatusStore } from './status-store.js';
import type { RedisStoreOptions } from './store-options.js';

/**
 * The drivers `@shaddock/redis` provides for a cluster whose config names Redis (`redis.url` in
 * `config/cluster.*`, or `SHADDOCK_REDIS_URL`): the channel store, the status store and the
 * placement table (room → owning server), all in that Redis under `shaddock:<cluster name>:`.
 * `createApp` calls it (the `DriverPackage` contract); an app may also pass its result as
 * `createApp({ drivers })`.
 *
 * The stores share the process's one connection, which the last of their `close()` (run as the
 * server stops) closes. It is opened as the stores are made, so a Redis that is down at start is
 * logged at once, naming the URL; a frontend then fails to start (it clears its old entries in the
 * status store as it starts), with the same message.
 *
 * @example
 * const app = await createApp({ drivers: createDrivers({ name: 'game', redis: { url }, rpc: { transport: 'tcp' } }) });
 */
export function createDrivers(config: DriverConfig): Drivers {
  const url = config.redis?.url;
  if (url === undefined) {
    throw new RedisDriverError(
      RedisErrorCode.OptionsInvalid,
      'the cluster config names no Redis: set "redis" in config/cluster.* or SHADDOCK_REDIS_URL',
    );
  }
  const options = (context: DriverContext): RedisStoreOptions => ({
    url,
    cluster: config.name,
    logger: context.logger.child({ category: 'redis' }),
  });
  return {
    channelStore: (context) => connecting(new RedisChannelStore(options(context))),
    statusStore: (context) => connecting(new RedisStatusStore(options(context))),
    placementTable: (context) => connecting(new RedisPlacementTable(options(context))),
  };
}

/** Starts connecting now; a failure is logged by the connection (once) and met again at first use. */
function connecting<Store extends { connect(): Promise<void> }>(store: Store): Store {
  store.connect().catch(() => {});
  return store;
}
