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
 * The chat servers' route: a room lives on one chat server, chosen by a consistent hash of its
 * name, so that every member's messages reach the server that holds the room's channel. Every
 * process builds the same ring from the same membership.
 *
 * @example
 * app.route('chat', roomRoute(app));
 */
export function roomRoute(app: Application): RouteFunction {
  const ring = new ConsistentHashRouter(app.membership);
  return (routeParam) => ring.routeKey('chat', roomOf(routeParam));
}
