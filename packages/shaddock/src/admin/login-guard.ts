import type { SecurityLog } from './security-log.js';

/** How failed admin logins are slowed down and locked out, per source address. */
export interface LoginLimits {
  /** Failed logins from one source that lock it out (default 5). */
  readonly maxFailures: number;
  /** How long a lockout lasts, in ms; failures older than this are forgotten (default 5 minutes). */
  readonly lockoutMs: number;
  /** The wait after the first failure before the next attempt is checked; doubles with each failure (default 250 ms). */
  readonly baseDelayMs: number;
  /** The longest wait (default 5 000 ms). */
  readonly maxDelayMs: number;
}

/** The default {@link LoginLimits}. */
export const DEFAULT_LOGIN_LIMITS: LoginLimits = Object.freeze({
  maxFailures: 5,
  lockoutMs: 5 * 60_000,
  baseDelayMs: 250,
  maxDelayMs: 5_000,
});

/** The outcome of one attempt through the guard. */
export type GuardedLogin<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: string };

interface SourceState {
  failures: number;
  lastFailure: number;
  lockedUntil: number;
  /** The attempts from this source run one after another: this settles once the last one did. */
  queue: Promise<unknown>;
  pending: number;
}

// Attempts from one source waiting their turn; more are refused at once.
const MAX_PENDING_PER_SOURCE = 8;
// Sources followed at once; past it the oldest are forgotten (the expired ones first).
const MAX_SOURCES = 10_000;

/**
 * Slows down and locks out failed admin logins per source address. The attempts of one source are
 * checked one at a time (parallel connections gain nothing), each after a wait that doubles with
 * every failure so far; `maxFailures` failures lock the source out for `lockoutMs`, during which
 * even the right password is refused unchecked. A success forgets the failures. Each failure and
 * each lockout is logged, rate-limited.
 *
 * @example
 * const guard = new LoginGuard(DEFAULT_LOGIN_LIMITS, security);
 * const outcome = await guard.attempt(socket.remoteAddress, username, () => authority.finish(login, …));
 */
export class LoginGuard {
  readonly #limits: LoginLimits;
  readonly #log: SecurityLog;
  readonly #now: () => number;
  readonly #sources = new Map<string, SourceState>();

  constructor(limits: LoginLimits, log: SecurityLog, now: () => number = () => performance.now()) {
    this.#limits = limits;
    this.#log = log;
    this.#now = now;
  }

  /**
   * Runs `check` (which returns the user, or `undefined` for a wrong proof) in `source`'s turn, or
   * refuses without running it: locked out, or too many attempts already waiting.
   */
  async attempt<T>(source: string, username: string, check: () => T | undefined): Promise<GuardedLogin<T>> {
    const state = this.#state(source);
    const locked = this.#lockedFor(state);
    if (locked > 0) return this.#refuseLocked(source, locked);
    if (state.pending >= MAX_PENDING_PER_SOURCE) {
      this.#log(
        'admin:busy',
        `admin: refused a login from ${source}: ${state.pending} already wait their turn`,
      );
      return { ok: false, reason: 'too many logins in progress from this address' };
    }
    state.pending++;
    const turn = state.queue.then(() => this.#turn(state, source, username, check));
    state.queue = turn.catch(() => {});
    try {
      return await turn;
    } finally {
      state.pending--;
      if (state.pending === 0 && state.failures === 0) this.#sources.delete(source);
    }
  }

  async #turn<T>(
    state: SourceState,
    source: string,
    username: string,
    check: () => T | undefined,
  ): Promise<GuardedLogin<T>> {
    if (this.#lockedFor(state) === 0) {
      const wait = state.lastFailure + this.#delay(state.failures) - this.#now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    const locked = this.#lockedFor(state);
    if (locked > 0) return this.#refuseLocked(source, locked);
    const value = check();
    if (value !== undefined) {
      state.failures = 0;
      state.lockedUntil = 0;
      return { ok: true, value };
    }
    const { maxFailures, lockoutMs } = this.#limits;
    state.failures++;
    state.lastFailure = this.#now();
    const name = JSON.stringify(username.slice(0, 64));
    this.#log(
      'admin:failed-login',
      `admin: failed login as ${name} from ${source} (${state.failures} of ${maxFailures} before a lockout)`,
    );
    if (state.failures >= maxFailures) {
      state.lockedUntil = state.lastFailure + lockoutMs;
      this.#log(
        `admin:lockout:${source}`,
        `admin: locked out ${source} for ${Math.round(lockoutMs / 1000)} s after ${state.failures} failed logins`,
      );
    }
    return { ok: false, reason: 'wrong username or password' };
  }

  #refuseLocked(source: string, remainingMs: number): GuardedLogin<never> {
    const seconds = Math.ceil(remainingMs / 1000);
    this.#log('admin:locked-out', `admin: refused a login from ${source}: locked out for ${seconds} s more`);
    return {
      ok: false,
      reason: `too many failed logins from this address: locked out for ${seconds} s more`,
    };
  }

  /** The wait before the attempt that follows `failures` failures. */
  #delay(failures: number): number {
    if (failures === 0) return 0;
    const { baseDelayMs, maxDelayMs } = this.#limits;
    return Math.min(maxDelayMs, baseDelayMs * 2 ** (failures - 1));
  }

  /** Milliseconds of lockout left (0: not locked out). */
  #lockedFor(state: SourceState): number {
    return Math.max(0, state.lockedUntil - this.#now());
  }

  #state(source: string): SourceState {
    const now = this.#now();
    let state = this.#sources.get(source);
    if (state && state.pending === 0 && this.#expired(state, now)) {
      this.#sources.delete(source);
      state = undefined;
    }
    if (state) return state;
    if (this.#sources.size >= MAX_SOURCES) this.#forget(now);
    state = { failures: 0, lastFailure: 0, lockedUntil: 0, queue: Promise.resolve(), pending: 0 };
    this.#sources.set(source, state);
    return state;
  }

  #expired(state: SourceState, now: number): boolean {
    return now >= state.lockedUntil && now - state.lastFailure >= this.#limits.lockoutMs;
  }

  /** Makes room: forgets the sources whose failures expired, else the oldest idle one. */
  #forget(now: number): void {
    for (const [source, state] of this.#sources) {
      if (state.pending === 0 && this.#expired(state, now)) this.#sources.delete(source);
    }
    if (this.#sources.size < MAX_SOURCES) return;
    for (const [source, state] of this.#sources) {
      if (state.pending === 0) {
        this.#sources.delete(source);
        return;
      }
    }
  }
}
