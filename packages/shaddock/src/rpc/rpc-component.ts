import path from 'node:path';
import type { Component, Kernel } from '../kernel/index.js';
import type { RpcLink } from '../transport/index.js';
import type { RouteFunction } from './consistent-hash-router.js';
import type { RpcFilters } from './filters.js';
import { loadRemotes, type ServerFolderLoader } from './remote-loader.js';
import { RemoteRegistry } from './remote-registry.js';
import { RpcClient } from './rpc-client.js';
import { createRpcProxy, type Remotes, type RpcProxy, type SystemRemotes } from './rpc-proxy.js';
import { RpcServer } from './rpc-server.js';

/** The RPC component: remotes, the RPC server (on servers with a `port`), the client and `app.rpc`. */
export interface RpcComponent extends Component {
  readonly name: 'rpc';
  /** The remotes this server offers, user and system. */
  readonly registry: RemoteRegistry;
  start(): Promise<void>;
  drain(deadlineMs: number): Promise<void>;
  stop(): void;
}

/**
 * Loads the remotes of this server type from `app/servers/<type>/remote/` (and those registered
 * with `app.registerRemote`), serves them on the server's `port`, and gives the application its
 * RPC client as `app.rpc` (user remotes) and `app.sysrpc` (the framework's own).
 */
declare module '../kernel/index.js' {
  interface Services {
    /** How this server reaches the others' remotes: the chosen RPC link driver. */
    rpcLink: RpcLink;
    /** The remotes this server offers; components register their system remotes here. */
    remoteRegistry: RemoteRegistry;
    /** The RPC client, for calls by server id (the framework's own); there once the component started. */
    rpcClient: RpcClient;
    /** `app.rpc`: typed calls to the user remotes of every server type. */
    rpc: RpcProxy<Remotes>;
    /** `app.sysrpc`: calls to the framework's own remotes. */
    sysrpc: RpcProxy<SystemRemotes>;
    /** The application's RPC filter lists (`app.rpcBefore`, `app.rpcAfter`), read at each call. */
    rpcFilters: RpcFilters;
    /** Replaces how the handler and remote folders are loaded (the `shaddock/pomelo` entry sets it). */
    serverFolderLoader: ServerFolderLoader;
    /** The application's route functions by server type (`app.route`). */
    rpcRoutes: Map<string, RouteFunction>;
  }
}

/** Options of {@link rpcComponent}. */
export interface RpcComponentOptions {
  /** Remotes registered in code (`app.registerRemote`), added after the remote folder's. */
  readonly remotes?: Iterable<readonly [string, object]>;
}

export function rpcComponent(app: Kernel, options: RpcComponentOptions = {}): RpcComponent {
  const registry = new RemoteRegistry();
  app.services.provide('remoteRegistry', registry);
  let server: RpcServer | undefined;
  let client: RpcClient | undefined;
  return {
    name: 'rpc',
    registry,
    async start() {
      const folder = path.join(app.appDir, 'app', 'servers', app.serverType, 'remote');
      const loader = app.services.find('serverFolderLoader');
      const remotes = loader ? await loader(folder, 'remote') : await loadRemotes(folder, { context: app });
      for (const [name, remote] of remotes) registry.registerRemote(app.serverType, name, remote);
      for (const [name, remote] of options.remotes ?? [])
        registry.registerRemote(app.serverType, name, remote);
      const current = app.getCurServer();
      // the cluster's secret (createApp resolved it) and bounds, from config/cluster.*
      const { secret, rpc } = app.cluster.drivers;
      if (current.port !== undefined) {
        server = new RpcServer({
          link: app.services.get('rpcLink'),
          host: current.host,
          port: current.port,
          serverId: app.serverId,
          remotes: registry,
          logger: app.logger.child({ category: 'rpc' }),
          ...definedOnly({
            secret,
            maxFrameLength: rpc.maxFrameLength,
            maxPendingBytes: rpc.maxPendingBytes,
            handshakeTimeout: rpc.handshakeTimeout,
            handshakeIdleTimeout: rpc.handshakeIdleTimeout,
          }),
        });
        await server.start();
      }
      const timeout = app.get('rpcTimeout');
      client = new RpcClient({
        link: app.services.get('rpcLink'),
        ...definedOnly({ secret, maxFrameLength: rpc.maxFrameLength }),
        serverId: app.serverId,
        membership: app.membership,
        filters: app.services.get('rpcFilters'),
        routes: app.services.get('rpcRoutes'),
        local: registry,
        rpcDebugLog: app.enabled('rpcDebugLog'),
        logger: app.logger.child({ category: 'rpc' }),
        ...(typeof timeout === 'number' ? { timeout } : {}),
      });
      app.services.provide('rpcClient', client);
      app.services.provide('rpc', createRpcProxy<Remotes>(client));
      app.services.provide('sysrpc', createRpcProxy<SystemRemotes>(client, 'sys'));
    },
    async drain(deadlineMs) {
      await server?.stop(deadlineMs);
    },
    stop() {
      client?.close();
    },
  };
}

/** `fields` without the absent ones (`exactOptionalPropertyTypes`). */
function definedOnly<T extends Record<string, unknown>>(
  fields: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) kept[key] = value;
  return kept as { [K in keyof T]?: Exclude<T[K], undefined> };
}
