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

export {
  Application,
  AppState,
  type Component,
  type ComponentSource,
  type CreateAppOptions,
  createApp,
  type HandlerContext,
  type HandlerFilter,
  LifecycleHook,
  type LifecycleListener,
  MASTER_TYPE,
  type Plugin,
} from './application/index.js';
export {
  Channel,
  type ChannelMember,
  ChannelService,
  type PushReceiver,
} from './channel/index.js';
export {
  type AdminUser,
  type ClusterConfig,
  loadClusterConfig,
  type MasterInfo,
  type ProcessIdentity,
  readProcessIdentity,
} from './config/index.js';
export type { ClientAddress, ClientConnection, Connector, ConnectorConfig } from './connector/index.js';
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
  type HandlerMethod,
  type HandlerSource,
  serialFilter,
  timeFilter,
  timeoutFilter,
  toobusyFilter,
} from './handler/index.js';
export {
  LocalMembership,
  type Membership,
  type MembershipEvent,
  type ServerInfo,
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
export {
  ConsistentHashRouter,
  createRpcProxy,
  RemoteRegistry,
  RpcClient,
  type RpcClientOptions,
  RpcServer,
  type RpcServerOptions,
} from './rpc/index.js';
export {
  BackendSession,
  BackendSessionService,
  FrontendSession,
  type HandlerSession,
  type SessionData,
  SessionService,
} from './session/index.js';

/** The framework's version, from its package.json. */
export const version: string = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version;
