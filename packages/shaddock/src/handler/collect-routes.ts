import { handlerFolder, loadHandlerFolder } from './handler-pipeline.js';
import { HandlerTable } from './handler-table.js';

/**
 * Every `type.handler.method` route found in `app/servers/<type>/handler/` under `base`, for
 * each server type, in type order then file order (the connector builds the route dictionary from
 * it, as Pomelo does). Each handler is built as the server would build it: a factory or class gets
 * `context` (pass the application when the handlers need it). A type without a folder has no routes.
 *
 * @example
 * const routes = await collectHandlerRoutes(app.base, ['connector', 'chat'], app);
 */
export async function collectHandlerRoutes(
  base: string,
  serverTypes: Iterable<string>,
  context?: unknown,
): Promise<string[]> {
  const routes: string[] = [];
  for (const serverType of new Set(serverTypes)) {
    const table = new HandlerTable(serverType);
    for (const [name, handler] of await loadHandlerFolder(handlerFolder(base, serverType), context)) {
      table.register(name, handler);
    }
    routes.push(...table.routes());
  }
  return routes;
}
