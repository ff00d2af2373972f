import {
  type Application,
  BackendSession,
  ConsistentHashRouter,
  FrontendSession,
  placementRoute,
  type RouteFunction,
} from 'shaddock';

/** The placement kind of the chat's rooms: the placement table files rooms under it. */
export const ROOM = 'room';

/**
 * The room a call to a chat server is about: the route parameter itself when it is a room name
 * (remote calls pass the room), else the `rid` setting of a session (a client's chat request,
 * forwarded with its session). A session that entered no room has none: `''`.
 */
export function roomOf(routeParam: unknown): string {
  if (typeof routeParam === 'string') return routeParam;
  if (routeParam instanceof FrontendSession || routeParam instanceof BackendSession) {
    const rid = routeParam.get('rid');
    if (typeof rid === 'string') return rid;
  }
  return '';
}

/**
 * The chat servers' route: a room lives on the chat server the placement table names for it, so
 * that every member's messages reach the server that holds the room. A new room is placed by a
 * consistent hash of its name over the chat servers up now, and stays there when chat servers are
 * added (`shaddock add … serverType=chat` takes new rooms only); when its server leaves, the room
 * is placed on another one, whose members' connectors enter them there again (`rejoinMovedRooms`).
 * A call about no room (a session that entered none) goes to any chat server, which refuses it.
 *
 * @example
 * app.route('chat', roomRoute(app));
 */
export function roomRoute(app: Application): RouteFunction {
  const placed = placementRoute(app, ROOM, roomOf);
  let ring: ConsistentHashRouter | undefined;
  return (routeParam, servers) => {
    if (roomOf(routeParam) !== '') return placed(routeParam, servers);
    ring ??= new ConsistentHashRouter(app.membership);
    return ring.routeKey('chat', '');
  };
}
