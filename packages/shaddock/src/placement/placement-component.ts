import type { Component, Kernel } from '../kernel/index.js';
import type { RouteFunction } from '../rpc/index.js';
import { PLACEMENT_REMOTE, PlacementService } from './placement-service.js';
import { MemoryPlacementTable, type PlacementTable } from './placement-table.js';

declare module '../kernel/index.js' {
  interface Services {
    /** Where stateful keys live: the `placementTable` driver (default: the master's table). */
    placementTable: PlacementTable;
    /** Routing by placement, its cache and its events (every server but the master). */
    placement: PlacementService;
  }
}

/**
 * The placement component: provides `placement` (over the `placementTable` service) as soon as it
 * is made; at start registers the system remote `placementRemote` (a new owner hears it adopted a
 * key) and frees the keys a previous run of this server left in a shared table.
 */
export function placementComponent(app: Kernel): Component {
  // createApp provides the chosen table; an application made without it (tests) gets memory
  if (!app.services.has('placementTable')) app.services.provide('placementTable', new MemoryPlacementTable());
  const table = app.services.get('placementTable');
  const service = new PlacementService({
    serverId: app.serverId,
    membership: app.membership,
    table,
    invoke: (serverId, target, args) => app.services.get('rpcClient').invoke(serverId, target, args),
    logger: app.logger.child({ category: 'placement' }),
  });
  app.services.provide('placement', service);
  return {
    name: 'placement',
    async start() {
      app.services
        .get('remoteRegistry')
        .registerSystemRemote(app.serverType, PLACEMENT_REMOTE, service.remote());
      // what a previous run of this id owned died with it (the master frees it as the run leaves)
      if (table.shared) await table.releaseServer(app.serverId);
    },
    stop() {
      service.dispose();
    },
  };
}

/**
 * A route function (`app.route(serverType, …)`) that sends each call to the owner of its key in
 * the placement table: a new key goes to the server the consistent hash of the key picks and stays
 * there when servers are added; a key whose owner left is placed again (`adopted`). The key of a
 * call is `keyOf(routeParam)` (a room name from a session's settings or a remote's argument).
 *
 * @example
 * app.route('chat', placementRoute(app, 'room', (routeParam) => roomOf(routeParam)));
 */
export function placementRoute(
  app: Pick<Kernel, 'services'>,
  kind: string,
  keyOf: (routeParam: unknown) => string,
): RouteFunction {
  let route: RouteFunction | undefined;
  return (routeParam, servers) => {
    route ??= app.services.get('placement').route(kind, keyOf);
    return route(routeParam, servers);
  };
}
