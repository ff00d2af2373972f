/**
 * RPC between servers: remotes and their registry, the server and the client (one persistent
 * connection per peer, deadlines, failing fast), routing (a consistent hash by default), typed
 * proxies (`app.rpc`), and RPC filters.
 */
export {
  ConsistentHashRouter,
  type ConsistentHashRouterOptions,
  hashString,
  type RouteFunction,
  routeKey,
} from './consistent-hash-router.js';
export type {
  RpcAfterFilter,
  RpcBeforeFilter,
  RpcCallTarget,
  RpcFilters,
  RpcOutcome,
} from './filters.js';
export type { RpcNamespace, RpcTarget } from './protocol.js';
export { type LoadRemotesOptions, loadRemotes, type ServerFolderLoader } from './remote-loader.js';
export { type RemoteMethodEntry, RemoteRegistry } from './remote-registry.js';
export { RpcClient, type RpcClientOptions, type RpcInvokeOptions } from './rpc-client.js';
export { type RpcComponent, type RpcComponentOptions, rpcComponent } from './rpc-component.js';
export {
  cachingProxy,
  createRpcProxy,
  type RemoteInstance,
  type RemoteProxy,
  type Remotes,
  type RpcMethodProxy,
  type RpcProxy,
  type RpcProxyInvoker,
  type SystemRemotes,
} from './rpc-proxy.js';
export { RpcServer, type RpcServerOptions } from './rpc-server.js';
