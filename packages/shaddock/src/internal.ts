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
  DEFAULT_HANDSHAKE_IDLE_MS,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_MAX_FRAME_LENGTH,
  DEVELOPMENT_CLUSTER_SECRET,
  decodePayload,
  type FramedSocket,
  FrameReader,
  FrameWriter,
  type HandshakeRefusal,
  MAX_HANDSHAKE_FRAME,
  NONCE_LENGTH,
  newNonce,
  type PayloadHandler,
  type PayloadHandlers,
  type PayloadWriter,
  proofMatches,
  RefusalReason,
  RPC_PURPOSE,
  secretOrDevelopment,
} from './transport/index.js';
