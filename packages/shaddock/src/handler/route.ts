/** The three parts of a route `serverType.handler.method`. */
export interface RouteParts {
  readonly serverType: string;
  readonly handler: string;
  readonly method: string;
}

/**
 * Splits a route `serverType.handler.method`: exactly three non-empty parts, or `undefined`.
 * It checks the shape only; whether the handler has that method is the pipeline's business.
 *
 * @example
 * parseRoute('chat.chatHandler.send'); // { serverType: 'chat', handler: 'chatHandler', method: 'send' }
 * parseRoute('chat.send'); // undefined
 */
export function parseRoute(route: string): RouteParts | undefined {
  if (typeof route !== 'string') return undefined;
  const first = route.indexOf('.');
  if (first <= 0) return undefined;
  const second = route.indexOf('.', first + 1);
  if (second <= first + 1 || second === route.length - 1) return undefined;
  if (route.indexOf('.', second + 1) !== -1) return undefined;
  return {
    serverType: route.slice(0, first),
    handler: route.slice(first + 1, second),
    method: route.slice(second + 1),
  };
}

const OBJECT_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/** Names never routable as a handler or a method: `Object.prototype`'s (`constructor`, `__proto__`, `toString`, …). */
export function isReservedName(name: string): boolean {
  return OBJECT_NAMES.has(name);
}
