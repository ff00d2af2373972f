/** A Pomelo callback: `(error, ...results)`; every argument is optional at the call site. */
export type Callback = (error?: unknown, ...results: unknown[]) => void;

/**
 * Splits the trailing callback off an RPC call's arguments. Pomelo's RPC proxy always takes the
 * last argument as the callback, so a trailing `null`/`undefined` (Pomelo's chat passes `null`)
 * is a missing callback, not an argument; a last argument of any other kind is kept as one.
 */
export function splitCallback(args: readonly unknown[]): { args: unknown[]; callback: Callback | undefined } {
  if (args.length === 0) return { args: [], callback: undefined };
  const last = args[args.length - 1];
  if (typeof last === 'function') return { args: args.slice(0, -1), callback: last as Callback };
  if (last === null || last === undefined) return { args: args.slice(0, -1), callback: undefined };
  return { args: [...args], callback: undefined };
}

/**
 * Hands a promise's outcome to a Pomelo callback: `callback(null, value)` or `callback(error)`.
 * Without a callback a failure is reported (never lost); a throwing callback is reported too and
 * never turned into a second call.
 */
export function settle<T>(
  promise: Promise<T>,
  callback: Callback | undefined,
  report: (error: unknown) => void,
  results: (value: T) => unknown[] = (value) => (value === undefined ? [] : [value]),
): void {
  promise.then(
    (value) => {
      if (callback === undefined) return;
      try {
        callback(null, ...results(value));
      } catch (error) {
        report(error);
      }
    },
    (error: unknown) => {
      if (callback === undefined) {
        report(error);
        return;
      }
      try {
        callback(error);
      } catch (thrown) {
        report(thrown);
      }
    },
  );
}

/** Whether `value` is a promise (or any thenable). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null | undefined)?.then === 'function';
}

/** Whether `value` is written as a `class` (constructed with `new`) rather than a function. */
export function isClass(value: unknown): boolean {
  return typeof value === 'function' && Function.prototype.toString.call(value).startsWith('class');
}

/**
 * Every method an object offers the way Pomelo finds them (`obj[name]` is a function): its own
 * properties and those of its prototypes up to `Object.prototype`, `constructor` left out.
 */
export function methodNames(instance: object): string[] {
  const names = new Set<string>();
  for (let level: object | null = instance; level !== null && level !== Object.prototype; ) {
    for (const name of Object.getOwnPropertyNames(level)) {
      if (name === 'constructor' || names.has(name)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(level, name);
      if (typeof descriptor?.value === 'function') names.add(name);
    }
    level = Object.getPrototypeOf(level) as object | null;
  }
  return [...names];
}
