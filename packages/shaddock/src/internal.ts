/**
 * `shaddock/internal`: the framework's own parts that its benchmarks and tests drive directly,
 * below the application (the RPC client and server, the remote registry), and the frame codec a
 * second `RpcLink` (NATS) carries. Not for apps: these change without notice.
 */
export {
  RemoteRegistry,
  RpcClient,
  type RpcClientOptions,
  RpcServer,
  type RpcServerOptions,
} from './rpc/index.js';
export {
  clusterProof,
  DEFAULT_MAX_FRAME_LENGTH,
  decodePayload,
  type FramedSocket,
  FrameReader,
  FrameWriter,
  NONCE_LENGTH,
  newNonce,
  type PayloadHandler,
  type PayloadHandlers,
  type PayloadWriter,
  proofMatches,
} from './transport/index.js';
