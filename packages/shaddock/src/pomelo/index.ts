/**
 * `shaddock/pomelo`: a Pomelo 2.x app runs on Shaddock with one changed line,
 * `require('pomelo')` → `require('shaddock/pomelo')`. The top floor: an adapter over the native
 * API (wrapping, never forking it); nothing in the framework imports it.
 *
 * @example
 * ```js
 * const pomelo = require('shaddock/pomelo');
 * const app = pomelo.createApp();
 * app.set('name', 'chat');
 * app.start();
 * ```
 */
import { createRequire } from 'node:module';
import { makePomeloApp, type PomeloApplication, type PomeloAppOptions } from './application.js';

export { PomeloApplication, type PomeloAppOptions } from './application.js';
export type { Callback } from './callback.js';
export { PomeloChannel, PomeloChannelService, type PomeloMember } from './channels.js';
export type { PomeloComponent, PomeloPlugin } from './components.js';
export { connectors, pushSchedulers } from './connectors.js';
export { events } from './events.js';
export { filters, type PomeloFilter } from './filters.js';
export { type PomeloRouteFunction, type PomeloRpcFilter, rpcFilters } from './routes.js';
export { PomeloSession } from './session.js';
export { PomeloBackendSessionService, PomeloSessionService } from './sessions.js';

import { filters as shippedFilters } from './filters.js';

/** The last application `createApp` made (Pomelo's `pomelo.app`); a live binding. */
export let app: PomeloApplication | undefined;

/** Pomelo's `createApp(opts)`: synchronous; `app.start(cb)` makes and runs the native application. */
export function createApp(options?: PomeloAppOptions): PomeloApplication {
  app = makePomeloApp(options);
  return app;
}

/** Pomelo's shortcuts for the shipped filters (`pomelo.timeout()` …). */
export const { serial, time, timeout, toobusy } = shippedFilters;

/** The framework's version (Shaddock's, from its package.json). */
export const version: string = (createRequire(import.meta.url)('../../package.json') as { version: string })
  .version;
