import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ErrorCode, ShaddockError } from '../errors.js';
import type { Component } from '../kernel/index.js';
import { isClass, isThenable } from './callback.js';

/** `require` for the app's CommonJS files (plugins, `loadConfig`, `lifecycle.js`). */
export const requireFile = createRequire(import.meta.url);

/** A Pomelo component: `start(cb)`, `afterStart(cb)`, `afterStartAll()`, `stop(force, cb)`, each optional. */
export interface PomeloComponent {
  name?: string;
  start?(callback: (error?: unknown) => void): unknown;
  afterStart?(callback: (error?: unknown) => void): unknown;
  afterStartAll?(): unknown;
  stop?(force: boolean, callback: (error?: unknown) => void): unknown;
}

/**
 * Runs a Pomelo step that ends by a callback (when the function declares one: `callbackIndex`
 * parameters before it) or by returning (a value or a promise).
 */
export function runStep(
  method: (...args: unknown[]) => unknown,
  self: unknown,
  args: unknown[],
  label: string,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const takesCallback = method.length > args.length;
    let done = false;
    const callback = (error?: unknown): void => {
      if (done) return;
      done = true;
      if (error === undefined || error === null) resolve();
      else reject(error instanceof Error ? error : new Error(`${label}: ${String(error)}`));
    };
    try {
      const returned = method.apply(self, takesCallback ? [...args, callback] : args);
      if (isThenable(returned)) returned.then(() => (takesCallback ? undefined : callback()), callback);
      else if (!takesCallback) callback();
    } catch (error) {
      callback(error ?? new Error(`${label} failed`));
    }
  });
}

/** Makes a component from what `app.load` got: an object, a factory `(app, opts)` or a class. */
export function makeComponent(source: unknown, app: unknown, options: unknown): PomeloComponent {
  let made: unknown = source;
  if (typeof source === 'function') {
    made = isClass(source)
      ? new (source as new (app: unknown, options: unknown) => unknown)(app, options)
      : (source as (app: unknown, options: unknown) => unknown)(app, options);
  }
  if (typeof made !== 'object' || made === null) {
    throw new ShaddockError(
      ErrorCode.ComponentFailed,
      'app.load: give a component object, a factory (app, opts) or a class',
    );
  }
  return made as PomeloComponent;
}

/** The native component that drives a Pomelo one. */
export function adaptComponent(name: string, component: PomeloComponent): Component {
  type Step = (...args: unknown[]) => unknown;
  const adapted: { -readonly [Key in keyof Component]: Component[Key] } = { name };
  const { start, afterStart, afterStartAll, stop } = component;
  if (typeof start === 'function')
    adapted.start = () => runStep(start as Step, component, [], `${name}.start`);
  if (typeof afterStart === 'function')
    adapted.afterStart = () => runStep(afterStart as Step, component, [], `${name}.afterStart`);
  if (typeof afterStartAll === 'function')
    adapted.afterStartAll = () => runStep(afterStartAll as Step, component, [], `${name}.afterStartAll`);
  if (typeof stop === 'function')
    adapted.stop = (force) => runStep(stop as Step, component, [force], `${name}.stop`);
  return adapted;
}

/** Pomelo's plugin: `{ name?, components: <folder> | Ctor[], events: <folder> | Ctor[] }`. */
export interface PomeloPlugin {
  readonly name?: string;
  readonly components?: string | readonly unknown[];
  readonly events?: string | readonly unknown[];
}

/** The `.js` files of a plugin folder, each with its name (the file's without `.js`). */
function folderModules(folder: string): [string, unknown][] {
  if (!existsSync(folder)) {
    throw new ShaddockError(ErrorCode.ComponentFailed, `plugin folder ${folder} does not exist`);
  }
  return readdirSync(folder)
    .filter((file) => file.endsWith('.js'))
    .sort()
    .map((file) => [path.basename(file, '.js'), requireFile(path.join(folder, file))]);
}

/** A plugin's components (each with `opts[<file name>]`) and its event classes. */
export function pluginParts(plugin: PomeloPlugin): {
  components: [string | undefined, unknown][];
  events: unknown[];
} {
  const components: [string | undefined, unknown][] =
    typeof plugin.components === 'string'
      ? folderModules(plugin.components)
      : (plugin.components ?? []).map((each) => [undefined, each]);
  const events =
    typeof plugin.events === 'string'
      ? folderModules(plugin.events).map(([, each]) => each)
      : [...(plugin.events ?? [])];
  return { components, events };
}
