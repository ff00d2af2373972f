/**
 * Crons, as Pomelo runs them: `config/crons.json` (server type → `{ id, time, action, serverId? }`,
 * six-field times with seconds), handlers in `app/servers/<type>/cron/`, and crons added or removed
 * at run time through the `cronService` (Pomelo's `app.addCrons` / `app.removeCrons`).
 */
export {
  type CronComponent,
  type CronComponentOptions,
  cronComponent,
  cronFolder,
} from './cron-component.js';
export { type CronServer, readCronConfig } from './cron-config.js';
export { type CheckedCron, type CronEntry, checkCronEntry } from './cron-entry.js';
export { CronService, type CronServiceOptions } from './cron-service.js';
