import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatPasswordKey } from '../admin/index.js';
import { MIN_SECRET_LENGTH } from '../config/index.js';
import { ErrorCode, ShaddockError } from '../errors.js';
import {
  chooseSource,
  FRAMEWORK_DIR,
  localPackages,
  type PackageSource,
  packInto,
  VENDOR_DIR,
} from './init-packages.js';

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
  /**
   * Where its Shaddock packages come from (default: chosen, see `chooseSource`): `registry`, the
   * published versions; `local`, this framework's own packages, packed into the app's `vendor/`.
   */
  readonly source?: PackageSource;
  /**
   * The npm version spec of `shaddock` and `@shaddock/client` from the registry (it implies
   * `source: 'registry'`); default `^` and this framework's version.
   */
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
  readonly source: PackageSource;
  /** The app's dependencies on this framework's packages: version specs, or `file:vendor/…tgz`. */
  readonly dependencies: Readonly<Record<string, string>>;
  /** Where the local packages were packed from (`source: 'local'`). */
  readonly packedFrom?: string;
  readonly adminPassword: string;
  /** The file, relative to `dir`, that holds the admin password (owner-only, ignored by git). */
  readonly adminPasswordFile: string;
  /** The cluster secret in `config/cluster.json`. */
  readonly clusterSecret: string;
  /** The files written, relative to `dir` with `/` separators, sorted. */
  readonly files: readonly string[];
}

/** The packages of this framework the template's `package.json` names, as `{{shaddockVersion}}`. */
const TEMPLATE_PACKAGES = ['shaddock', '@shaddock/client'] as const;

/** Where, in the new app, the generated admin password is kept: never in a file that git tracks. */
export const ADMIN_PASSWORD_FILE = '.shaddock/admin-password.json';

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
 * a master, one `connector` and one `chat` server, a random cluster secret (`config/cluster.json`),
 * an admin user whose random password is stored only as its scrypt `passwordKey` in
 * `config/adminUser.json` (the password itself in `.shaddock/admin-password.json`, readable by its
 * owner only and ignored by git), their handlers and remote, a test that runs the cluster, and the
 * npm scripts `build`, `start` and `test`. Its Shaddock packages come from the registry or, when
 * they are not there to be had (a checkout), as tarballs packed into `vendor/`. Refuses a folder that
 * is not empty, and removes what it wrote when it fails.
 *
 * @example
 * const app = await initApp({ dir: 'my-game' });
 * console.log(formatInitResult(app));
 */
export async function initApp(options: InitOptions): Promise<InitResult> {
  const dir = resolve(options.dir);
  const name = options.name ?? packageNameFor(dir);
  if (name.length > 214 || !PACKAGE_NAME.test(name))
    throw new ShaddockError(ErrorCode.CliUsage, `"${name}" is not a valid npm package name (use --name)`);
  assertEmptyTarget(dir);
  const clusterSecret = options.clusterSecret ?? randomBytes(32).toString('base64url');
  if (clusterSecret.length < MIN_SECRET_LENGTH)
    throw new ShaddockError(
      ErrorCode.CliUsage,
      `the cluster secret must be at least ${MIN_SECRET_LENGTH} characters`,
    );
  const source =
    options.shaddockVersion !== undefined ? 'registry' : (options.source ?? (await chooseSource()));
  const shaddockVersion = options.shaddockVersion ?? `^${frameworkVersion()}`;
  const adminPassword = options.adminPassword ?? randomBytes(18).toString('base64url');
  const existed = isFolder(dir);
  try {
    const files = writeTemplate(dir, {
      name,
      shaddockVersion,
      clusterSecret,
      adminPasswordKey: await formatPasswordKey(adminPassword),
      packages: packagesParagraph(source),
    });
    files.push(writeAdminPassword(dir, adminPassword));
    let dependencies: Record<string, string> = Object.fromEntries(
      TEMPLATE_PACKAGES.map((name) => [name, shaddockVersion]),
    );
    if (source === 'local') {
      dependencies = await packInto(dir, localPackages(TEMPLATE_PACKAGES));
      setDependencies(dir, dependencies);
      files.push(...readdirSync(join(dir, VENDOR_DIR)).map((file) => `${VENDOR_DIR}/${file}`));
    }
    return {
      dir,
      name,
      source,
      dependencies,
      ...(source === 'local' ? { packedFrom: FRAMEWORK_DIR } : {}),
      adminPassword,
      adminPasswordFile: ADMIN_PASSWORD_FILE,
      clusterSecret,
      files: files.sort(),
    };
  } catch (error) {
    // a half-made app would only fail later: leave the folder as it was (it was empty)
    if (existed)
      for (const entry of readdirSync(dir)) rmSync(join(dir, entry), { recursive: true, force: true });
    else rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function isFolder(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** Writes every template file into `dir`, placeholders filled; resolves with their names. */
function writeTemplate(dir: string, values: Readonly<Record<string, string>>): string[] {
  const files: string[] = [];
  for (const file of listTemplateFiles()) {
    const text = readFileSync(join(APP_TEMPLATE_DIR, file), 'utf8');
    const target = targetName(file);
    mkdirSync(dirname(join(dir, target)), { recursive: true });
    writeFileSync(join(dir, target), fillPlaceholders(text, values, file.endsWith('.json')), { flag: 'wx' });
    files.push(target);
  }
  return files;
}

/** The generated password, where only its owner reads it and git never sees it. */
function writeAdminPassword(dir: string, password: string): string {
  const file = join(dir, ADMIN_PASSWORD_FILE);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(join(dirname(file), '.gitignore'), '*\n');
  const text = `${JSON.stringify({ username: 'admin', password }, null, 2)}\n`;
  writeFileSync(file, text, { flag: 'wx', mode: 0o600 });
  // the umask may have taken bits from the mode asked for, never added: make sure of 0600
  chmodSync(file, 0o600);
  return ADMIN_PASSWORD_FILE;
}

/** Replaces the app's dependencies on this framework's packages with `dependencies`, sorted. */
function setDependencies(dir: string, dependencies: Readonly<Record<string, string>>): void {
  const file = join(dir, 'package.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as { dependencies?: Record<string, string> };
  const merged = { ...manifest.dependencies, ...dependencies };
  manifest.dependencies = Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
}

/** The README's paragraph on where the Shaddock packages come from: true for this app. */
function packagesParagraph(source: PackageSource): string {
  if (source === 'registry') {
    return 'Its Shaddock packages (`shaddock`, `@shaddock/client`) come from the npm registry.';
  }
  return [
    'Its Shaddock packages (`shaddock`, `@shaddock/client`, `@shaddock/protocol`) are tarballs in `vendor/`,',
    'packed by `shaddock init` from the Shaddock checkout it ran from, and `package.json` installs them',
    'from there (`file:vendor/…`): `npm install` needs no registry for them, only for the third-party',
    "packages. Keep `vendor/` with the app (commit it). To take a newer checkout's packages, build it,",
    'then `npm pack <checkout>/packages/{protocol,client,shaddock} --pack-destination vendor`, point',
    '`package.json` at the new tarballs and run `npm install`.',
  ].join('\n');
}

/** What `shaddock init` prints: what it made, where the admin password is, what to run next. */
export function formatInitResult(result: InitResult, cwd: string = process.cwd()): string {
  const fromCwd = relative(cwd, result.dir);
  const shown = fromCwd === '' || fromCwd.startsWith('..') ? result.dir : fromCwd;
  // Quoted for a POSIX shell when it needs to be.
  const shownDir = /^[\w./-]+$/.test(shown) ? shown : `'${shown.replaceAll("'", "'\\''")}'`;
  const packages =
    result.source === 'local'
      ? `Shaddock ${frameworkVersion()} packed from ${result.packedFrom} into ${VENDOR_DIR}/`
      : `shaddock ${result.dependencies['shaddock']} from the npm registry`;
  return [
    `created ${result.name} in ${result.dir} (${result.files.length} files; ${packages})`,
    `admin user "admin": its password is in ${join(result.dir, result.adminPasswordFile)}`,
    '  (readable by you only, ignored by git); config/adminUser.json holds only its scrypt passwordKey,',
    '  with which shaddock list/stop/… log in: keep that file private too',
    'cluster secret: generated into config/cluster.json (every server proves it knows it; keep it private,',
    '  or set SHADDOCK_CLUSTER_SECRET instead, which wins over the file)',
    'next:',
    `  cd ${shownDir}`,
    '  npm install',
    '  npm start     # or npm test',
    '',
  ].join('\n');
}
