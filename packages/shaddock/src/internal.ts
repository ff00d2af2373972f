/**
 * `shaddock/internal`: the framework's own parts that its benchmarks and tests drive directly,
 * below the application (the RPC client and server, the remote registry). Not for apps: these
 * change without notice.
 */
export {
  RemoteRegistry,
  RpcClient,
  type RpcClientOptions,
  RpcServer,
  type RpcServerOptions,
} from './rpc/index.js';
