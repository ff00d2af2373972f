/**
 * What both entries (`index.ts` for Node, `browser.ts`) export besides `connect`, so the two
 * describe the same API.
 */
export type { JsonObject, JsonValue } from '@shaddock/protocol';
export type {
  AnyClientApi,
  ClientApi,
  NotifyBody,
  NotifyRoute,
  PushBody,
  PushRoute,
  RequestBody,
  RequestRoute,
  ResponseBody,
} from './api.js';
export { type CachedHandshake, type HandshakeCache, localStorageCache, memoryCache } from './cache.js';
export type { EventSource, Listener } from './emitter.js';
export { ClientError, ClientErrorCode, type ClientErrorOptions, isClientError } from './errors.js';
export { fromGate, type GateOptions } from './gate.js';
export type {
  ClientOptions,
  ConnectOptions,
  ReconnectOptions,
  ResolverConnectOptions,
  TlsOptions,
  TransportKind,
} from './options.js';
export {
  type Candidates,
  type Endpoint,
  type EndpointFailure,
  fromList,
  type ListOptions,
  type ResolveContext,
  type Resolver,
} from './resolver.js';
export type { Client, ClientEvents, ClientState, DisconnectReason, RequestOptions } from './types.js';
