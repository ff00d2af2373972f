/**
 * What the workspace's tests and benchmarks share; a private package, never published.
 *
 * pinus-protocol and pinus-protobuf (Pinus's own codecs, the reference the tests and benchmarks
 * compare against) point their "types" at their TypeScript sources, which do not compile under our
 * strict settings. So they are loaded untyped and described here, once: the parts in use, as their
 * built code behaves. Code that imports their built entries instead (the benchmarks) gets the same
 * types from `pinus-modules.d.ts`.
 *
 * Also what an attacker does on a socket (`attack.ts`) and RFC 6455 frames by hand
 * (`websocket-frames.ts`): the framework's security tests and the examples' attack tests share them.
 */

export {
  closedUnanswered,
  connected,
  deepJson,
  flood,
  type RecordingProxy,
  recordingProxy,
  silent,
  type Trickle,
  trickle,
  upgradeRequest,
} from './attack.js';

export {
  type ParsedProtos,
  type PinusProtobuf,
  type PinusProtobufCodec,
  Protobuf,
} from './pinus-protobuf.js';
export {
  decodePinusPackages,
  Message,
  Package,
  type PinusMessage,
  type PinusPackage,
  type PinusProtocol,
  splitPackages,
} from './pinus-protocol.js';
export {
  alive,
  CHROMIUM,
  CHROMIUM_ARGS,
  descendantsOf,
  freePort,
  type StartAppOptions,
  type StartedApp,
  startApp,
  terminate,
  waitFor,
} from './processes.js';
export { isListening, natsUnavailable, skipUnlessCi, TEST_NATS_URL } from './services.js';
export {
  BINARY,
  CLOSE,
  type ClientFrameOptions,
  CONTINUATION,
  clientFrame,
  closeBody,
  type HandmadeWebSocket,
  handmadeWebSocket,
  MASK,
  PING,
  PONG,
  readServerFrame,
  type ServerFrame,
  TEXT,
} from './websocket-frames.js';
