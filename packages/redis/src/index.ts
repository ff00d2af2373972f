/**
 * `@shaddock/redis`: what a Shaddock cluster keeps in Redis — channel membership and online status
 * that every server sees (the drivers `createApp` loads when `config/cluster.*` names Redis), a
 * global channel service and an online-status service (Pomelo's globalchannel and status plugins).
 * Every key starts with `shaddock:<cluster name>:`, so clusters share a Redis.
 *
 * @example
 * ```ts
 * import { globalChannel, onlineStatus } from '@shaddock/redis';
 * app.use(globalChannel, {}).use(onlineStatus, {});
 * await app.services.get('globalChannelService').pushMessage('connector', 'onChat', { text: 'hi' }, 'world');
 * ```
 */
export { RedisChannelStore } from './channel-store.js';
export type { RedisConnection } from './connection.js';
export { createDrivers } from './drivers.js';
export { isRedisDriverError, RedisDriverError, RedisErrorCode } from './errors.js';
export {
  type GlobalChannelOptions,
  GlobalChannelService,
  type GlobalChannelServiceOptions,
  globalChannel,
} from './global-channel.js';
export type { ClusterKeys } from './keys.js';
export { RedisPlacementTable } from './placement-table.js';
export type { PushBody } from './push-groups.js';
export {
  type OnlineStatusOptions,
  onlineStatus,
  StatusService,
  type StatusServiceOptions,
} from './status-service.js';
export { RedisStatusStore } from './status-store.js';
export type { RedisStoreOptions } from './store-options.js';
