import { ErrorCode, ShaddockError } from '../errors.js';

/** The application lifecycle hooks, in the order they fire. */
export const LifecycleHook = {
  BeforeStartup: 'beforeStartup',
  AfterStartup: 'afterStartup',
  AfterStartAll: 'afterStartAll',
  BeforeShutdown: 'beforeShutdown',
} as const;

/** One of {@link LifecycleHook}'s values. */
export type LifecycleHook = (typeof LifecycleHook)[keyof typeof LifecycleHook];

/**
 * A lifecycle hook's function; it receives the application. Its parameter is checked both ways
 * (a method's), so the hooks of an application typed as a subclass of the kernel fit the kernel's.
 */
export type LifecycleListener<App> = { listen(app: App): Promise<void> | void }['listen'];

const HOOKS = new Set<string>(Object.values(LifecycleHook));

/** Named lists of lifecycle listeners; an unknown hook name is refused with a coded error. */
export class Lifecycle<App> {
  readonly #listeners = new Map<LifecycleHook, LifecycleListener<App>[]>();

  add(hook: LifecycleHook, listener: LifecycleListener<App>): void {
    if (!HOOKS.has(hook)) {
      throw new ShaddockError(
        ErrorCode.AppState,
        `unknown lifecycle hook "${String(hook)}"; known: ${[...HOOKS].join(', ')}`,
      );
    }
    const list = this.#listeners.get(hook) ?? [];
    list.push(listener);
    this.#listeners.set(hook, list);
  }

  async run(hook: LifecycleHook, app: App): Promise<void> {
    for (const listener of this.#listeners.get(hook) ?? []) await listener(app);
  }
}
