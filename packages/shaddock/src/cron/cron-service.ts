import { Cron } from 'croner';
import { ErrorCode, ShaddockError } from '../errors.js';
import { type Logger, SummarizedRepeats } from '../logging/index.js';
import { type CheckedCron, type CronEntry, checkCronEntry } from './cron-entry.js';

/** How late a run may start, with no run skipped, before it is logged as late, in ms. */
const LATE_MS = 10_000;

/** The most skipped runs counted for one late run (a frozen every-second cron). */
const MAX_COUNTED = 10_000;

/** Options of {@link CronService}. */
export interface CronServiceOptions {
  /** This server: crons given another `serverId` are not scheduled here. */
  readonly serverId: string;
  /** Where failures, missing handlers and missed runs are logged. */
  readonly logger: Logger;
}

/** One scheduled cron. */
interface Job {
  readonly cron: CheckedCron;
  readonly timer: Cron;
  /** When the next run is due (epoch ms), to tell a late run from an on-time one. */
  due: number;
}

/**
 * The crons of this server (service `cronService`): Pomelo's `config/crons.json` entries and the
 * ones added at run time (`app.addCrons`). Each runs `<handler>.<method>()` of a cron handler
 * (`app/servers/<type>/cron/<handler>.{js,ts}`) at its six-field time, timed by croner. A cron
 * that throws or rejects, a handler or method that is missing, and a run the process was too
 * frozen to make on time are logged (the first line in full, repeats counted), never thrown.
 *
 * @example
 * const crons = app.services.get('cronService');
 * crons.add([{ id: 7, time: '*\/10 * * * * *', action: 'scoreCron.flush' }]);
 * crons.remove([{ id: 7 }]);
 */
export class CronService {
  readonly #serverId: string;
  readonly #log: Logger;
  readonly #repeats = new SummarizedRepeats();
  readonly #handlers = new Map<string, object>();
  readonly #jobs = new Map<string, Job>();
  #stopped = false;

  constructor(options: CronServiceOptions) {
    this.#serverId = options.serverId;
    this.#log = options.logger;
  }

  /** Offers `handler`'s methods to crons as `<name>.<method>`; a later handler of that name replaces it. */
  registerHandler(name: string, handler: object): void {
    if (typeof handler !== 'object' || handler === null) {
      throw new ShaddockError(ErrorCode.CronInvalid, `cron handler "${name}" is not an object`);
    }
    this.#handlers.set(name, handler);
  }

  /**
   * Schedules `crons` (Pomelo's `app.addCrons`). Every entry is checked first: a malformed one, or
   * an id already scheduled here (or twice in `crons`), throws `CronInvalid` naming it, and then
   * none is added. Entries with another server's `serverId` are skipped, and so is one whose
   * handler or method is missing: each is logged once.
   */
  add(crons: readonly CronEntry[]): void {
    if (this.#stopped)
      throw new ShaddockError(ErrorCode.AppState, 'crons cannot be added: the server is stopping');
    if (!Array.isArray(crons))
      throw new ShaddockError(ErrorCode.CronInvalid, 'addCrons takes a list of crons');
    const checked: CheckedCron[] = [];
    const keys = new Set<string>();
    crons.forEach((entry, index) => {
      const result = checkCronEntry(entry);
      if (typeof result === 'string')
        throw new ShaddockError(ErrorCode.CronInvalid, `cron [${index}]: ${result}`);
      if (this.#jobs.has(result.key) || keys.has(result.key)) {
        throw new ShaddockError(
          ErrorCode.CronInvalid,
          `cron [${index}]: id ${result.key} is already scheduled on ${this.#serverId}; remove it first`,
        );
      }
      keys.add(result.key);
      checked.push(result);
    });
    for (const cron of checked) this.#schedule(cron);
  }

  /**
   * Stops crons by id (Pomelo's `app.removeCrons`; only `id` is read). An id not scheduled here is
   * logged, not thrown.
   */
  remove(crons: readonly Pick<CronEntry, 'id'>[]): void {
    for (const { id } of crons) {
      const job = this.#jobs.get(String(id));
      if (job === undefined) {
        this.#log.warn(
          { cron: id },
          `cron ${String(id)} is not scheduled on ${this.#serverId}; nothing removed`,
        );
        continue;
      }
      job.timer.stop();
      this.#jobs.delete(String(id));
    }
  }

  /** The crons scheduled now, in the order they were added. */
  list(): CronEntry[] {
    return [...this.#jobs.values()].map((job) => job.cron.entry);
  }

  /** Stops every cron (at shutdown) and writes the counts of repeated failures held back. */
  stop(): void {
    this.#stopped = true;
    for (const job of this.#jobs.values()) job.timer.stop();
    this.#jobs.clear();
    this.#repeats.flush();
  }

  #schedule(cron: CheckedCron): void {
    const { entry, key } = cron;
    if (entry.serverId !== undefined && entry.serverId !== this.#serverId) {
      this.#log.info(
        { cron: entry.id },
        `cron ${key} is for server ${entry.serverId}, not scheduled on ${this.#serverId}`,
      );
      return;
    }
    if (this.#target(cron) === undefined) return;
    // unref: a cron never holds a process alive; its timer only waits for the next time
    const timer = new Cron(entry.time, { mode: '6-part', unref: true });
    const job: Job = { cron, timer, due: timer.nextRun()?.getTime() ?? Number.POSITIVE_INFINITY };
    this.#jobs.set(key, job);
    timer.schedule(() => this.#run(job));
  }

  /** The handler and its method, or `undefined` after logging which is missing. */
  #target(cron: CheckedCron): { handler: object; method: (this: object) => unknown } | undefined {
    const handler = this.#handlers.get(cron.handler);
    const method = handler === undefined ? undefined : (handler as Record<string, unknown>)[cron.method];
    if (handler !== undefined && typeof method === 'function') {
      return { handler, method: method as (this: object) => unknown };
    }
    const message =
      handler === undefined
        ? `cron ${cron.key} (${cron.entry.action}): no cron handler "${cron.handler}" (app/servers/<type>/cron/${cron.handler}.js); known: ${[...this.#handlers.keys()].join(', ') || 'none'}`
        : `cron ${cron.key} (${cron.entry.action}): the cron handler "${cron.handler}" has no method "${cron.method}"`;
    this.#repeats.log(
      this.#log,
      'error',
      `missing:${cron.key}`,
      { cron: cron.entry.id, action: cron.entry.action },
      message,
    );
    return undefined;
  }

  #run(job: Job): void {
    const now = Date.now();
    this.#reportLateness(job, now);
    job.due = job.timer.nextRun()?.getTime() ?? Number.POSITIVE_INFINITY;
    const target = this.#target(job.cron);
    if (target === undefined) return;
    try {
      const result = target.method.call(target.handler);
      if (isThenable(result)) result.then(undefined, (error: unknown) => this.#failed(job.cron, error));
    } catch (error) {
      this.#failed(job.cron, error);
    }
  }

  #failed(cron: CheckedCron, error: unknown): void {
    const cause =
      error instanceof Error ? ((error as { code?: unknown }).code ?? error.message) : String(error);
    this.#repeats.log(
      this.#log,
      'error',
      `failed:${cron.key}:${String(cause)}`,
      { err: error, cron: cron.entry.id, action: cron.entry.action },
      `cron ${cron.key} (${cron.entry.action}) failed`,
    );
  }

  /** Logs a run that came after later times of its cron had passed (croner then runs it once). */
  #reportLateness(job: Job, now: number): void {
    const late = now - job.due;
    if (late < 1_000) return;
    let missed = 0;
    for (const time of job.timer.enumerate(new Date(job.due))) {
      if (time.getTime() > now || missed >= MAX_COUNTED) break;
      missed += 1;
    }
    if (missed === 0 && late < LATE_MS) return;
    const { entry, key } = job.cron;
    this.#repeats.log(
      this.#log,
      'warn',
      `late:${key}`,
      { cron: entry.id, action: entry.action, lateMs: late, missed },
      `cron ${key} (${entry.action}) ran ${late} ms late and missed ${missed} run(s): the process was frozen or too busy`,
    );
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
