import {
  type Application,
  BackendSession,
  ConsistentHashRouter,
  FrontendSession,
  type RouteFunction,
} from 'shaddock';

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
 * The chat server a room lives on: a consistent hash of its name over the chat servers in
 * membership. Every process builds the same ring from the same membership, so they all agree.
 *
 * @example
 * const serverOf = roomServer(app);
 * serverOf('lobby'); // 'chat-server-2'
 */
export function roomServer(app: Application): (rid: string) => string {
  const ring = new ConsistentHashRouter(app.membership);
  return (rid) => ring.routeKey('chat', rid);
}

/**
 * The chat servers' route: a room lives on one chat server ({@link roomServer}), so that every
 * member's messages reach the server that holds the room (with rooms in Redis, any chat server can
 * serve a room: routing by room still keeps its joins on one server, where they run one at a time).
 *
 * @example
 * app.route('chat', roomRoute(app));
 */
export function roomRoute(app: Application): RouteFunction {
  const serverOf = roomServer(app);
  return (routeParam) => serverOf(roomOf(routeParam));
}
