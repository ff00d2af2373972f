import { Cron } from 'croner';

/**
 * One cron, as Pomelo's `config/crons.json` lists it and as `app.addCrons` takes it.
 *
 * @example
 * const entry: CronEntry = { id: 1, time: '0 30 10 * * *', action: 'chatCron.sayHi' };
 */
export interface CronEntry {
  /** Names the cron for `remove`; one cron per id on a server (`1` and `"1"` are the same id). */
  readonly id: number | string;
  /** Six fields, seconds first: `second minute hour day-of-month month day-of-week`, in local time. */
  readonly time: string;
  /** `<handler>.<method>`: a file of `app/servers/<type>/cron/` and the method to call. */
  readonly action: string;
  /** Runs only on this server of the type (absent: on every server of the type). */
  readonly serverId?: string;
}

/** A cron entry checked and split: what the service schedules. */
export interface CheckedCron {
  readonly entry: CronEntry;
  /** `String(entry.id)`. */
  readonly key: string;
  readonly handler: string;
  readonly method: string;
}

/**
 * Checks one entry of a cron list and splits its action, or answers why it cannot be scheduled
 * (a sentence for an error that names the entry). The time is parsed by croner in its six-field
 * mode, as Pomelo reads it; a time that never comes (`0 0 0 31 2 *`) is refused too.
 */
export function checkCronEntry(value: unknown): CheckedCron | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `expected a cron object { id, time, action }, got ${describeValue(value)}`;
  }
  const { id, time, action, serverId } = value as Record<string, unknown>;
  if (!(typeof id === 'number' && Number.isFinite(id)) && !(typeof id === 'string' && id !== '')) {
    return `"id" must be a number or a non-empty string, got ${describeValue(id)}`;
  }
  if (typeof action !== 'string' || !/^[^.\s]+\.[^.\s]+$/.test(action)) {
    return `"action" must be "<cron handler>.<method>", got ${describeValue(action)}`;
  }
  if (serverId !== undefined && (typeof serverId !== 'string' || serverId === '')) {
    return `"serverId" must be a non-empty string, got ${describeValue(serverId)}`;
  }
  if (typeof time !== 'string') return `"time" must be a string of six fields, got ${describeValue(time)}`;
  const fields = time.trim().split(/\s+/).length;
  if (fields !== 6) {
    return `"time" must have six fields (second minute hour day-of-month month day-of-week), "${time}" has ${fields}`;
  }
  try {
    if (new Cron(time, { mode: '6-part' }).nextRun() === null) return `"time" "${time}" never comes`;
  } catch (error) {
    return `"time" "${time}" is not a cron time: ${error instanceof Error ? error.message : String(error)}`;
  }
  const [handler = '', method = ''] = action.split('.');
  const entry: CronEntry = { id, time, action, ...(typeof serverId === 'string' ? { serverId } : {}) };
  return { entry, key: String(id), handler, method };
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'string' ? JSON.stringify(value) : `${typeof value} ${String(value)}`;
}
