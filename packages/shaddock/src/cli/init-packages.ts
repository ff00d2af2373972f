import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode, ShaddockError } from '../errors.js';

/**
 * Where a new app's Shaddock packages come from: `registry`, the published versions; `local`, this
 * copy of the framework and its sibling packages, packed into the app's `vendor/` folder.
 */
export type PackageSource = 'registry' | 'local';

/** This package's folder (`packages/shaddock` in a checkout, `node_modules/shaddock` installed), real path. */
export const FRAMEWORK_DIR = realpathSync(fileURLToPath(new URL('../../', import.meta.url)));

/** The folder `npm pack` writes the app's tarballs to, relative to the app. */
export const VENDOR_DIR = 'vendor';

/** A package of this framework: `shaddock` and every `@shaddock/…`. */
function isOwnPackage(name: string): boolean {
  return name === 'shaddock' || name.startsWith('@shaddock/');
}

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly files?: readonly string[];
  readonly dependencies?: Readonly<Record<string, string>>;
}

function readManifest(folder: string): Manifest {
  return JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as Manifest;
}

/** True when `folder` is an installed copy (under `node_modules/`), not a checkout's own package. */
export function isInstalledCopy(folder: string): boolean {
  return folder.split(sep).includes('node_modules');
}

/**
 * Where the packages come from when the user did not say: a checkout's own packages are on no
 * registry that this checkout knows of (it may be ahead of, or never have been, published), so
 * from a checkout always `local`, and nothing is asked of the network. An installed copy uses the
 * registry when its version is published there, else (not found, offline) `local` too.
 */
export async function chooseSource(frameworkDir: string = FRAMEWORK_DIR): Promise<PackageSource> {
  if (!isInstalledCopy(frameworkDir)) return 'local';
  const { version } = readManifest(frameworkDir);
  const found = await runNpm(['view', `shaddock@${version}`, 'version'], frameworkDir, 30_000).then(
    (output) => output.trim() !== '',
    () => false,
  );
  return found ? 'registry' : 'local';
}

/** The folder of the package `name` as Node would find it from `from`: the nearest `node_modules/<name>`. */
function findPackage(name: string, from: string): string | undefined {
  for (let folder = from; ; folder = dirname(folder)) {
    const candidate = join(folder, 'node_modules', ...name.split('/'));
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(folder) === folder) return undefined;
  }
}

/**
 * The folders of `names` and of every package of this framework they depend on, found from this
 * framework's folder (in a checkout, the workspace's links to its packages). Each must be built.
 */
export function localPackages(
  names: readonly string[],
  frameworkDir: string = FRAMEWORK_DIR,
): Map<string, string> {
  const folders = new Map<string, string>();
  const pending = [...names];
  for (let name = pending.shift(); name !== undefined; name = pending.shift()) {
    if (folders.has(name)) continue;
    const folder = name === readManifest(frameworkDir).name ? frameworkDir : findPackage(name, frameworkDir);
    if (folder === undefined) {
      throw new ShaddockError(
        ErrorCode.InitPackages,
        `cannot find the package ${name} next to ${frameworkDir}: run npm install there (or use --registry)`,
      );
    }
    const manifest = readManifest(folder);
    if (manifest.files?.includes('dist') && !existsSync(join(folder, 'dist'))) {
      throw new ShaddockError(
        ErrorCode.InitPackages,
        `${name} in ${folder} is not built (no dist/): run npm run build in the checkout first`,
      );
    }
    folders.set(name, folder);
    pending.push(...Object.keys(manifest.dependencies ?? {}).filter(isOwnPackage));
  }
  return folders;
}

/**
 * Packs `packages` (name → folder) with `npm pack` into `<app>/vendor/` and resolves with the
 * dependency spec of each, `file:vendor/<tarball>`. Tarballs, not `file:` folders: npm installs a
 * folder's own dependencies from the registry (its `@shaddock/protocol` would be a 404) and ties
 * the app to this checkout's path, while tarballs listed side by side in the app's `package.json`
 * satisfy each other, and the app folder installs anywhere, offline for them.
 */
export async function packInto(
  app: string,
  packages: ReadonlyMap<string, string>,
): Promise<Record<string, string>> {
  mkdirSync(join(app, VENDOR_DIR), { recursive: true });
  const output = await runNpm(
    ['pack', ...packages.values(), '--pack-destination', VENDOR_DIR, '--json', '--ignore-scripts'],
    app,
    120_000,
  );
  let packed: { name: string; filename: string }[];
  try {
    packed = JSON.parse(output.slice(output.indexOf('['))) as { name: string; filename: string }[];
  } catch (cause) {
    throw new ShaddockError(ErrorCode.InitPackages, `npm pack printed no list of tarballs:\n${output}`, {
      cause,
    });
  }
  const specs: Record<string, string> = {};
  for (const { name, filename } of packed) specs[name] = `file:${VENDOR_DIR}/${filename}`;
  for (const name of packages.keys()) {
    if (specs[name] === undefined)
      throw new ShaddockError(ErrorCode.InitPackages, `npm pack made no tarball of ${name}`);
  }
  return specs;
}

/** Runs npm in `cwd`; resolves with its stdout, rejects with its output when it fails or outlasts `timeoutMs`. */
function runNpm(args: readonly string[], cwd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const windows = process.platform === 'win32';
    const child = spawn(windows ? 'npm.cmd' : 'npm', args, {
      cwd,
      shell: windows,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.once('error', (cause) =>
      reject(new ShaddockError(ErrorCode.InitPackages, `npm could not be run: ${cause.message}`, { cause })),
    );
    child.once('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else
        reject(
          new ShaddockError(
            ErrorCode.InitPackages,
            `npm ${args[0]} ${signal === null ? `exited with ${code}` : `was stopped (${signal})`}:\n${stderr.trim()}`,
          ),
        );
    });
  });
}
