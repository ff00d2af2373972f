/**
 * Length-prefixed msgpack frames over TCP (4-byte big-endian length, then the payload), with
 * writes coalesced per event-loop turn, the mutual handshake that proves a peer belongs to the
 * cluster before anything else is read, and the `RpcLink` interface they implement for RPC (the
 * TCP link is the default). Used by RPC and by the master's control connections.
 */
export { clusterProof, NONCE_LENGTH, newNonce, proofMatches } from './cluster-proof.js';
export { type ConnectFramedAddress, type ConnectFramedOptions, connectFramed } from './connect.js';
export {
  DEFAULT_MAX_FRAME_LENGTH,
  decodePayload,
  encodeFrame,
  FrameReader,
  type PayloadHandler,
  packValue,
} from './frame-codec.js';
export { FrameWriter, type PayloadWriter } from './frame-writer.js';
export type { FramedHandlers, FramedSocket, PayloadHandlers, SocketHandlers } from './framed-socket.js';
export {
  authenticatePeer,
  authenticateServer,
  type ClientAuthentication,
  DEFAULT_HANDSHAKE_IDLE_MS,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEVELOPMENT_CLUSTER_SECRET,
  HANDSHAKE_VERSION,
  type HandshakeRefusal,
  MAX_HANDSHAKE_FRAME,
  RefusalReason,
  type ServerAuthentication,
  secretOrDevelopment,
} from './handshake.js';
export { type FramedListener, type ListenFramedOptions, listenFramed } from './listen.js';
export { PayloadReader } from './payload-reader.js';
export {
  type LinkAddress,
  type LinkConnectOptions,
  type LinkListener,
  type LinkListenOptions,
  RPC_PURPOSE,
  type RpcLink,
  tcpRpcLink,
} from './rpc-link.js';
