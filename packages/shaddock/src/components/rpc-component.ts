import path from 'node:path';
import type { Application } from '../application/index.js';
import {
  createRpcProxy,
  loadRemotes,
  RemoteRegistry,
  type Remotes,
  RpcClient,
  RpcServer,
  type SystemRemotes,
} from '../rpc/index.js';

/** The RPC component: remotes, the RPC server (on servers with a `port`), the client and `app.rpc`. */
export interface RpcComponent {
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
declare module '../application/services.js' {
  interface Services {
    /** The remotes this server offers; components register their system remotes here. */
    remoteRegistry: RemoteRegistry;
  }
}

export function rpcComponent(app: Application): RpcComponent {
  const registry = new RemoteRegistry();
  app.services.provide('remoteRegistry', registry);
  let server: RpcServer | undefined;
  let client: RpcClient | undefined;
  return {
    name: 'rpc',
    registry,
    async start() {
      const folder = path.join(app.appDir, 'app', 'servers', app.serverType, 'remote');
      for (const [name, remote] of await loadRemotes(folder, { context: app }))
        registry.registerRemote(app.serverType, name, remote);
      for (const [name, remote] of app.explicitRemotes) registry.registerRemote(app.serverType, name, remote);
      const current = app.getCurServer();
      if (current.port !== undefined) {
        server = new RpcServer({
          host: current.host,
          port: current.port,
          serverId: app.serverId,
          remotes: registry,
        });
        await server.start();
      }
      const timeout = app.get('rpcTimeout');
      client = new RpcClient({
        serverId: app.serverId,
        membership: app.membership,
        filters: app.rpcFilters,
        routes: app.routes,
        local: registry,
        rpcDebugLog: app.enabled('rpcDebugLog'),
        ...(typeof timeout === 'number' ? { timeout } : {}),
      });
      app.attachRpc(client, createRpcProxy<Remotes>(client), createRpcProxy<SystemRemotes>(client, 'sys'));
    },
    async drain(deadlineMs) {
      await server?.stop(deadlineMs);
    },
    stop() {
      client?.close();
    },
  };
}
