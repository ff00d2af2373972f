/**
 * The parts of pinus-rpc 1.7.4 the benchmark uses. Its "types" point at its TypeScript sources,
 * which do not compile under our strict settings, so it is loaded with `createRequire` (it is
 * CommonJS) and typed here.
 */

/** A remote method: pinus awaits a returned promise, or takes a plain value as the result. */
export type PinusRemoteMethod = (...args: unknown[]) => unknown;

/** `services[namespace][remoteName][method]`: what the server dispatches to. */
export type PinusServices = Record<string, Record<string, Record<string, PinusRemoteMethod>>>;

/** A remote-code path for `pinus-loader`; the benchmark passes its remote as `services` instead. */
export interface PinusRemotePath {
  namespace: string;
  serverType: string;
  path: string;
}

export interface PinusServerOptions {
  /** The port; pinus listens on it on every interface (it takes no host). */
  port: number;
  paths: PinusRemotePath[];
  /** Remotes already made, merged with those loaded from `paths`. */
  services?: PinusServices;
  /** Reply batching on a timer (off by default). */
  bufferMsg?: boolean;
}

/** The gateway `createServer` returns. */
export interface PinusGateway {
  start(): void;
  stop(force: boolean): void;
}

export interface PinusServerInfo {
  id: string;
  serverType: string;
  host: string;
  port: number;
}

export interface PinusClientOptions {
  /** The mailbox reads `context.serverId`. */
  context: { serverId: string };
  /** Each call's deadline, in milliseconds (default 30 000). */
  timeout?: number;
  /** Request batching on a timer (off by default). */
  bufferMsg?: boolean;
}

/** An RPC message as `rpcInvoke` takes it. */
export interface PinusRpcMessage {
  namespace: string;
  serverType: string;
  service: string;
  method: string;
  args: unknown[];
}

/** Called with `(error)` or `(null, ...results)`. */
export type PinusCallback = (error: unknown, ...results: unknown[]) => void;

export interface PinusClient {
  start(callback: (error?: Error) => void): void;
  stop(force: boolean): void;
  addServer(server: PinusServerInfo): void;
  rpcInvoke(serverId: string, message: PinusRpcMessage, callback: PinusCallback): void;
}

/** The module's exports used here. */
export interface PinusRpcModule {
  createServer(options: PinusServerOptions): PinusGateway;
  createClient(options: PinusClientOptions): PinusClient;
}
