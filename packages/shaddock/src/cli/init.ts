import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MIN_SECRET_LENGTH } from '../config/index.js';
import { ErrorCode, ShaddockError } from '../errors.js';

/** The app template: `templates/app/` of this package (the same path from `src/cli/` and `dist/cli/`). */
export const APP_TEMPLATE_DIR = fileURLToPath(new URL('../../templates/app/', import.meta.url));

/** Template files kept under another name: npm leaves every `.gitignore` out of a package. */
const RENAMED: Readonly<Record<string, string>> = { gitignore: '.gitignore' };

/** Folders that are never part of the template, should a build or an install have run in it. */
const SKIPPED: ReadonlySet<string> = new Set(['node_modules', 'dist']);

/** An npm package name (lowercase, URL-safe, optionally scoped), as `npm init` accepts it. */
const PACKAGE_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/** What `shaddock init` makes. */
export interface InitOptions {
  /** Where the app goes: a folder that does not exist yet, or an empty one. */
  readonly dir: string;
  /** The app's package name; default: the folder's name, made a valid one. */
  readonly name?: string;
  /** The npm version spec of `shaddock` and `@shaddock/client`; default `^` and this framework's version. */
  readonly shaddockVersion?: string;
  /** The admin user's password; default 18 random bytes, base64url (24 characters). */
  readonly adminPassword?: string;
  /**
   * The cluster secret written to `config/cluster.json`, which every process of the cluster proves
   * it knows; default 32 random bytes, base64url (43 characters). At least 32 characters.
   */
  readonly clusterSecret?: string;
}

/** What `shaddock init` made. */
export interface InitResult {
  /** The app's folder, absolute. */
  readonly dir: string;
  readonly name: string;
  readonly shaddockVersion: string;
  readonly adminPassword: string;
  /** The cluster secret in `config/cluster.json`. */
  readonly clusterSecret: string;
  /** The files written, relative to `dir` with `/` separators, sorted. */
  readonly files: readonly string[];
}

/** This framework's version, from its `package.json`. */
export function frameworkVersion(): string {
  const manifest = JSON.parse(
    readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8'),
  ) as { version: string };
  return manifest.version;
}

/** Every file of the template, relative to `templateDir` with `/` separators, sorted; stored names. */
export function listTemplateFiles(templateDir: string = APP_TEMPLATE_DIR): string[] {
  const files: string[] = [];
  const walk = (folder: string, prefix: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.isDirectory() && !SKIPPED.has(entry.name))
        walk(join(folder, entry.name), `${prefix}${entry.name}/`);
      else if (entry.isFile()) files.push(`${prefix}${entry.name}`);
    }
  };
  walk(templateDir, '');
  return files.sort();
}

/** A template file's name in the new app (`gitignore` becomes `.gitignore`). */
export function targetName(file: string): string {
  const slash = file.lastIndexOf('/');
  const name = file.slice(slash + 1);
  return `${file.slice(0, slash + 1)}${RENAMED[name] ?? name}`;
}

/**
 * Replaces every `{{key}}` of `text` with `values[key]`, escaped for a JSON string when `json`
 * (placeholders in JSON files stand inside strings). An unknown key is a template bug: it throws.
 */
export function fillPlaceholders(
  text: string,
  values: Readonly<Record<string, string>>,
  json: boolean,
): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_match, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`the app template uses an unknown placeholder {{${key}}}`);
    return json ? JSON.stringify(value).slice(1, -1) : value;
  });
}

/** A valid package name from a folder's name: lowercase, other characters as `-`; `shaddock-app` if none is left. */
export function packageNameFor(dir: string): string {
  const name = basename(resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9-._~]+/g, '-')
    .replace(/^[-._]+|-+$/g, '');
  return name === '' ? 'shaddock-app' : name.slice(0, 214);
}

function assertEmptyTarget(dir: string): void {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory())
      throw new ShaddockError(ErrorCode.CliUsage, `${dir} exists and is not a folder`);
    entries = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (entries.length > 0) {
    const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? ', …' : '');
    throw new ShaddockError(
      ErrorCode.CliUsage,
      `${dir} is not empty (${shown}): init needs a new or empty folder`,
    );
  }
}

/**
 * Creates a new TypeScript app in `options.dir` from the package's `templates/app/`: config for
 * a master, one `connector` and one `chat` server, a random admin password and a random cluster
 * secret (`config/cluster.json`), their handlers and remote, a test that runs the cluster, and the
 * npm scripts `build`, `start` and `test`. Refuses a folder that is not empty.
 *
 * @example
 * const app = initApp({ dir: 'my-game' });
 * console.log(`admin password: ${app.adminPassword}`);
 */
export function initApp(options: InitOptions): InitResult {
  const dir = resolve(options.dir);
  const name = options.name ?? packageNameFor(dir);
  if (name.length > 214 || !PACKAGE_NAME.test(name))
    throw new ShaddockError(ErrorCode.CliUsage, `"${name}" is not a valid npm package name (use --name)`);
  assertEmptyTarget(dir);
  const shaddockVersion = options.shaddockVersion ?? `^${frameworkVersion()}`;
  const adminPassword = options.adminPassword ?? randomBytes(18).toString('base64url');
  const clusterSecret = options.clusterSecret ?? randomBytes(32).toString('base64url');
  if (clusterSecret.length < MIN_SECRET_LENGTH)
    throw new ShaddockError(
      ErrorCode.CliUsage,
      `the cluster secret must be at least ${MIN_SECRET_LENGTH} characters`,
    );
  const values = { name, shaddockVersion, adminPassword, clusterSecret };
  const files: string[] = [];
  for (const file of listTemplateFiles()) {
    const text = readFileSync(join(APP_TEMPLATE_DIR, file), 'utf8');
    const target = targetName(file);
    mkdirSync(dirname(join(dir, target)), { recursive: true });
    writeFileSync(join(dir, target), fillPlaceholders(text, values, file.endsWith('.json')), { flag: 'wx' });
    files.push(target);
  }
  return { dir, name, shaddockVersion, adminPassword, clusterSecret, files: files.sort() };
}

/** What `shaddock init` prints: what it made, the admin password (shown this once), what to run next. */
export function formatInitResult(result: InitResult, cwd: string = process.cwd()): string {
  const fromCwd = relative(cwd, result.dir);
  const shown = fromCwd === '' || fromCwd.startsWith('..') ? result.dir : fromCwd;
  // Quoted for a POSIX shell when it needs to be.
  const shownDir = /^[\w./-]+$/.test(shown) ? shown : `'${shown.replaceAll("'", "'\\''")}'`;
  return [
    `created ${result.name} in ${result.dir} (${result.files.length} files, shaddock ${result.shaddockVersion})`,
    `admin user "admin", password: ${result.adminPassword}`,
    '  (kept in config/adminUser.json for shaddock list/stop/…; shown only this once)',
    'cluster secret: generated into config/cluster.json (every server proves it knows it; keep it private,',
    '  or set SHADDOCK_CLUSTER_SECRET instead, which wins over the file)',
    'next:',
    `  cd ${shownDir}`,
    '  npm install',
    '  npm start     # or npm test',
    '',
  ].join('\n');
}
