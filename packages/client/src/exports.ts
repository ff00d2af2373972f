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
export type { ConnectOptions, ReconnectOptions, TlsOptions, TransportKind } from './options.js';
export type { Client, ClientEvents, ClientState, DisconnectReason, RequestOptions } from './types.js';
