import type { EventEmitter } from 'node:events';
import { type Application, createApp } from '../server/index.js';
import type { PomeloCore } from './core.js';
import { events } from './events.js';
import { pomeloFolderLoader } from './handlers.js';
import { giveConnectorConfig, giveSetting, loadLifecycleFile, wireEvents } from './wiring.js';

/** The part of a Pomelo application starting reads (passed in: this module sits below it). */
export interface StartingApp {
  readonly base: string;
  readonly event: EventEmitter;
  readonly components: Record<string, unknown>;
  readonly settings: Record<string, unknown>;
}

/** Makes the native application, hands it what the Pomelo one kept, and starts it. */
export async function startNative(app: StartingApp, core: PomeloCore): Promise<void> {
  const native = await createApp({ base: app.base });
  core.native = native;
  core.logger = native.logger.child({ category: 'pomelo' });
  prepare(native, app, core);
  core.announce();
  await native.start();
  if (!native.isMaster()) wireEvents(native, app.event, app.components, core.report);
  app.event.emit(events.START_SERVER, native.serverId);
}

function prepare(native: Application, app: StartingApp, core: PomeloCore): void {
  native.services.provide(
    'serverFolderLoader',
    pomeloFolderLoader({
      context: app,
      serverType: native.serverType,
      hasErrorHandler: () => typeof app.settings['errorHandler'] === 'function',
      report: core.report,
    }),
  );
  for (const [key, value] of Object.entries(app.settings))
    giveSetting(native, key, value, core.report, core.notice);
  if (!native.isMaster()) giveConnectorConfig(native, app.settings, core.notice);
  loadLifecycleFile(native, app);
  core.replaySetups(native);
  native.afterStartAll(() => {
    app.event.emit(events.START_ALL);
  });
}
