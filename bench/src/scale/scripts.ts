/** Where the scale benchmarks' child scripts and the scale app are. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The compiled child script `name` (`bench/dist/scale/<name>.js`): the same path from `src/scale`
 * (under vitest) and from `dist/scale`, so the smoke test runs the built children too.
 */
export function scaleScript(name: string): string {
  const path = fileURLToPath(new URL(`../../dist/scale/${name}.js`, import.meta.url));
  if (!existsSync(path)) throw new Error(`${path} is missing: build first (npm run build)`);
  return path;
}

/** The global-push benchmark's app (`bench/apps/shaddock-scale`). */
export const SCALE_APP = fileURLToPath(new URL('../../apps/shaddock-scale/', import.meta.url));
