import type { Application } from './application.js';

/**
 * A package that extends applications: `install` adds its components (`app.load`), lifecycle
 * hooks, filters, routes and remotes. Registered with `app.use(plugin, options)`.
 *
 * @example
 * ```ts
 * export const statusPlugin: Plugin<{ prefix: string }> = {
 *   name: 'status',
 *   install(app, options) {
 *     app.load({ name: 'status', start: () => connect(options.prefix) });
 *   },
 * };
 * ```
 */
export interface Plugin<Options = void> {
  readonly name: string;
  install(app: Application, options: Options): void;
}
