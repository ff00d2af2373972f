/**
 * The hybrid connector of a frontend: WebSocket and raw TCP (plain or TLS) on one `clientPort`,
 * the Pomelo handshake, heartbeats and kicks, the route dictionary and protos, the push
 * schedulers and the protections (max connections, blacklist, package size, rate limit, slow
 * clients, inbound backpressure). Service `connector` on frontends.
 */
export type { Blacklist } from './blacklist.js';
export type { ClientAddress, ClientConnection } from './client-connection.js';
export { CloseReason } from './close-reason.js';
export type { ConnectorHandlers, ConnectorSessions } from './connection-context.js';
export {
  type Connector,
  ConnectorServer,
  type ConnectorServerOptions,
  type ConnectorStartOptions,
  type DrainReport,
  type PushTarget,
} from './connector.js';
export { connectorComponent } from './connector-component.js';
export {
  type CheckClient,
  type ConnectorConfig,
  type ConnectorSettings,
  type ConnectorTlsFiles,
  type HandshakeHook,
  type HandshakeRejection,
  type RateLimit,
  resolveConnectorConfig,
} from './connector-config.js';
export { type FrontendCodec, type FrontendCodecSource, loadFrontendCodec } from './frontend-codec.js';
export {
  BufferPushScheduler,
  createPushScheduler,
  DirectPushScheduler,
  type PushScheduler,
  type PushSchedulerOption,
  type SchedulableConnection,
} from './push-scheduler.js';
