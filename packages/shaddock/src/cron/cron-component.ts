import path from 'node:path';
import { ErrorCode, ShaddockError } from '../errors.js';
import type { Component, Kernel } from '../kernel/index.js';
import type { Logger } from '../logging/index.js';
import { loadRemotes } from '../rpc/index.js';
import { readCronConfig } from './cron-config.js';
import type { CheckedCron } from './cron-entry.js';
import { CronService } from './cron-service.js';

declare module '../kernel/index.js' {
  interface Services {
    /** This server's crons: `config/crons.json`'s and those added at run time. */
    cronService: CronService;
  }
}

/** Options of {@link cronComponent}. */
export interface CronComponentOptions {
  /** Where cron lines are logged (default `app.logger`); they carry `{ category: 'cron' }`. */
  readonly logger?: Logger;
  /** Given to a cron handler file's factory or class (default: the application), as Pomelo's `app`. */
  readonly context?: unknown;
}

/** The cron component: its service is `cronService`. */
export interface CronComponent extends Component {
  readonly name: 'cron';
  readonly service: CronService;
  start(): Promise<void>;
  afterStart(): void;
  /** Crons are new work: a draining server starts no more runs. */
  drain(): void;
  stop(): void;
}

/**
 * Provides the `cronService` at once; on `start`, reads this server's crons from
 * `config/crons.json` (a malformed entry fails the start, naming it) and loads the cron handlers of
 * `app/servers/<type>/cron/` with the remote loader (a file's default export: an object, a class,
 * or Pomelo's factory `function (app) { return new Cron(app) }`); schedules them on `afterStart`,
 * as Pomelo does; stops them all on `drain` (or `stop`, when forced). Every server but the master loads it.
 */
export function cronComponent(app: Kernel, options: CronComponentOptions = {}): CronComponent {
  const service = new CronService({
    serverId: app.serverId,
    logger: (options.logger ?? app.logger).child({ category: 'cron' }),
  });
  app.services.provide('cronService', service);
  let configured: CheckedCron[] = [];
  return {
    name: 'cron',
    service,
    async start() {
      configured = await readCronConfig(app);
      const folder = cronFolder(app.appDir, app.serverType);
      for (const [name, handler] of await loadCronHandlers(folder, options.context ?? app)) {
        service.registerHandler(name, handler);
      }
    },
    afterStart() {
      service.add(configured.map((cron) => cron.entry));
    },
    drain() {
      service.stop();
    },
    stop() {
      service.stop();
    },
  };
}

/** `app/servers/<type>/cron` under `appDir`. */
export function cronFolder(appDir: string, serverType: string): string {
  return path.join(appDir, 'app', 'servers', serverType, 'cron');
}

async function loadCronHandlers(folder: string, context: unknown): Promise<Map<string, object>> {
  try {
    return await loadRemotes(folder, { context });
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new ShaddockError(ErrorCode.CronInvalid, `cannot load the cron handlers in ${folder}: ${reason}`, {
      cause,
    });
  }
}
