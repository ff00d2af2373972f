/**
 * `shaddock`: a fast, Pomelo-compatible distributed game-server framework.
 *
 * @example
 * ```ts
 * import { createApp } from 'shaddock';
 * const app = await createApp();
 * app.route('chat', (session, servers) => servers[0]!.id);
 * await app.start();
 * ```
 */
import { createRequire } from 'node:module';

export type { JsonObject, JsonValue } from '@shaddock/protocol';

export {
  Channel,
  type ChannelMember,
  ChannelService,
  type ChannelStore,
  MemoryChannelStore,
  type PushReceiver,
} from './channel/index.js';
export {
  type AdminUser,
  type ClusterConfig,
  DRIVER_VARIABLES,
  type DriverConfig,
  loadClusterConfig,
  type MasterInfo,
  type NatsServiceConfig,
  type ProcessIdentity,
  type RedisServiceConfig,
  type RpcTransport,
  readProcessIdentity,
} from './config/index.js';
export type { ClientAddress, ClientConnection, Connector, ConnectorConfig } from './connector/index.js';
export { type CronEntry, CronService } from './cron/index.js';
export {
  ConfigError,
  ErrorCode,
  NoServerForRoute,
  RemoteError,
  RequestError,
  ResponseCode,
  RpcTimeout,
  ServerUnavailable,
  ShaddockError,
} from './errors.js';
export {
  type ErrorHandler,
  type Handler,
  type HandlerContext,
  type HandlerFilter,
  type HandlerMethod,
  type HandlerSource,
  serialFilter,
  timeFilter,
  timeoutFilter,
  toobusyFilter,
} from './handler/index.js';
export {
  AppState,
  type Component,
  Kernel,
  LifecycleHook,
  type LifecycleListener,
  type Services,
} from './kernel/index.js';
export {
  getLogger,
  getPomeloLogger,
  type Logger,
  LogLevel,
  type PomeloLogger,
  RepeatLimiter,
  type RepeatLimiterOptions,
  replaceConsole,
} from './logging/index.js';
export { MasterMembership } from './master/index.js';
export {
  type ControlPlane,
  type LeaderCandidate,
  type Leadership,
  LocalMembership,
  MASTER_TYPE,
  type Membership,
  type MembershipEvent,
  type MembershipView,
  type RequestHandler,
  type ServerInfo,
  type ServerOrder,
} from './membership/index.js';
export type {
  RemoteInstance,
  Remotes,
  RouteFunction,
  RpcAfterFilter,
  RpcBeforeFilter,
  RpcCallTarget,
  RpcMethodProxy,
  RpcOutcome,
  RpcProxy,
  SystemRemotes,
} from './rpc/index.js';
export { ConsistentHashRouter, createRpcProxy, type RpcClient } from './rpc/index.js';
export {
  Application,
  type CreateAppOptions,
  createApp,
  type DriverContext,
  type DriverPackage,
  type Drivers,
  type LogOptions,
  type Plugin,
  type ServerOrders,
} from './server/index.js';
export {
  BackendSession,
  BackendSessionService,
  FrontendSession,
  type HandlerSession,
  MemoryStatusStore,
  Session,
  type SessionConnection,
  type SessionData,
  SessionService,
  type StatusEntry,
  type StatusStore,
} from './session/index.js';
export type {
  LinkAddress,
  LinkConnectOptions,
  LinkListener,
  LinkListenOptions,
  RpcLink,
} from './transport/index.js';
export { tcpRpcLink } from './transport/index.js';

/** The framework's version, from its package.json. */
export const version: string = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version;
