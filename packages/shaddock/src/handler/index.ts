/**
 * Handlers and the frontend path: handler loading and routes (`serverType.handler.method`), the
 * filter chain (global before → before → handler → after → global after), error handlers,
 * forwarding to the server of a route's type, the built-in filters, and the system remote
 * `messageRemote`. Service `handlers` on every server but the master.
 */

export type { ClientMessage } from './client-message.js';
export { collectHandlerRoutes } from './collect-routes.js';
export { GENERIC_FAILURE_MESSAGE } from './failure.js';
export { type SerialFilterOptions, serialFilter } from './filters/serial-filter.js';
export { type SlowMessage, type TimeFilterOptions, timeFilter } from './filters/time-filter.js';
export { type TimeoutFilterOptions, timeoutFilter } from './filters/timeout-filter.js';
export { type ToobusyFilter, type ToobusyFilterOptions, toobusyFilter } from './filters/toobusy-filter.js';
export {
  type HandlerComponent,
  type HandlerComponentOptions,
  handlerComponent,
} from './handler-component.js';
export { type HandlerContext, type HandlerFilter, HandlerFilters } from './handler-filters.js';
export { HandlerPipeline, type HandlerPipelineOptions } from './handler-pipeline.js';
export {
  createMessageRemote,
  type ForwardedResponse,
  type MessageRemote,
} from './message-remote.js';
export { parseRoute, type RouteParts } from './route.js';
export type {
  AppFactory,
  ErrorHandler,
  Handler,
  HandlerMethod,
  HandlerSource,
} from './types.js';
