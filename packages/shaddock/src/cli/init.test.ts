import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveAdminKey } from '../admin/index.js';
import { loadClusterConfig, resolveClusterSecret } from '../config/index.js';
import { ErrorCode } from '../errors.js';
import { runCli } from './index.js';
import {
  ADMIN_PASSWORD_FILE,
  fillPlaceholders,
  frameworkVersion,
  initApp,
  listTemplateFiles,
  packageNameFor,
  targetName,
} from './init.js';
import { chooseSource, FRAMEWORK_DIR, isInstalledCopy, localPackages } from './init-packages.js';

/** The template's files, as written in the app. */
const TEMPLATE_FILES = [
  '.gitignore',
  'README.md',
  'config/adminUser.json',
  'config/cluster.json',
  'config/master.json',
  'config/servers.json',
  'package.json',
  'src/app.ts',
  'src/app/client-fault.ts',
  'src/app/servers/chat/handler/chatHandler.ts',
  'src/app/servers/chat/remote/chatRemote.ts',
  'src/app/servers/connector/handler/entryHandler.ts',
  'test/app.test.ts',
  'tsconfig.json',
];
/** Every file of an app whose packages come from the registry. */
const APP_FILES = [...TEMPLATE_FILES, ADMIN_PASSWORD_FILE].sort();

const scratches: string[] = [];

afterEach(() => {
  for (const dir of scratches.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shaddock-init-unit-'));
  scratches.push(dir);
  return dir;
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

describe('shaddock init', () => {
  it('writes every template file, placeholders filled, .gitignore under its real name', async () => {
    expect(listTemplateFiles().map(targetName).sort()).toEqual(TEMPLATE_FILES);
    const dir = join(scratch(), 'Space Game!');
    const result = await initApp({ dir, source: 'registry' });
    const version = `^${frameworkVersion()}`;
    expect(result).toMatchObject({ dir, name: 'space-game', source: 'registry' });
    expect(result.dependencies).toEqual({ shaddock: version, '@shaddock/client': version });
    expect(result.files).toEqual(APP_FILES);
    for (const file of result.files) expect(readFileSync(join(dir, file), 'utf8'), file).not.toMatch(/\{\{/);

    const manifest = readJson(join(dir, 'package.json'));
    expect(manifest).toMatchObject({
      name: 'space-game',
      type: 'module',
      dependencies: { shaddock: version, '@shaddock/client': version },
      devDependencies: { typescript: expect.any(String), vitest: expect.any(String) },
      scripts: {
        build: expect.stringMatching(/^tsc && /),
        start: 'npm run build && shaddock start',
        test: 'npm run build && vitest run',
      },
    });
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    expect(readme).toMatch(/^# space-game\n/);
    // true wherever it is read: no page it links to can be missing
    expect(readme).not.toMatch(/https?:\/\//);
    expect(readme).toContain('come from the npm registry');
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toMatch(/^\.shaddock\/$/m);
    const other = await initApp({ dir: join(scratch(), 'other'), source: 'registry' });
    expect(other.adminPassword).not.toBe(result.adminPassword);
    expect(other.clusterSecret).not.toBe(result.clusterSecret);
  });

  it('keeps the admin password out of every file git tracks: config holds its passwordKey', async () => {
    const dir = join(scratch(), 'keys');
    const result = await initApp({ dir, source: 'registry' });
    expect(result.adminPassword).toMatch(/^[\w-]{24}$/);
    for (const file of result.files.filter((file) => !file.startsWith('.shaddock/')))
      expect(readFileSync(join(dir, file), 'utf8'), file).not.toContain(result.adminPassword);

    const passwordFile = join(dir, ADMIN_PASSWORD_FILE);
    expect(readJson(passwordFile)).toEqual({ username: 'admin', password: result.adminPassword });
    expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, '.shaddock/.gitignore'), 'utf8')).toBe('*\n');

    // the master and the CLI read the user as this, and the key is the password's
    const cluster = await loadClusterConfig({ base: dir, env: 'development', environment: {} });
    const [admin] = cluster.adminUsers;
    expect(admin).toMatchObject({ id: 'admin', username: 'admin', level: 1 });
    expect(admin?.password).toBeUndefined();
    const { N, r, p, salt, key } = admin?.passwordKey ?? { N: 0, r: 0, p: 0, salt: '', key: '' };
    expect(await deriveAdminKey(result.adminPassword, salt, { N, r, p })).toBe(key);
    expect(await deriveAdminKey('another password', salt, { N, r, p })).not.toBe(key);
  });

  it('generates a cluster secret into config/cluster.json, which the app config loads', async () => {
    const dir = join(scratch(), 'secret-app');
    const result = await initApp({ dir, source: 'registry' });
    expect(result.clusterSecret).toMatch(/^[\w-]{43}$/);
    expect(readJson(join(dir, 'config/cluster.json'))).toEqual({ secret: result.clusterSecret });
    // the config as every process of the new app reads it: production starts with this secret
    const cluster = await loadClusterConfig({ base: dir, env: 'production', environment: {} });
    expect(cluster.drivers.secret).toBe(result.clusterSecret);
    expect(resolveClusterSecret(cluster.drivers, 'production', dir)).toEqual({
      secret: result.clusterSecret,
      source: 'configured',
    });
    await expect(initApp({ dir: join(scratch(), 'short'), clusterSecret: 'too short' })).rejects.toThrow(
      /at least 32/,
    );
  });

  it('takes a name and a version spec (which means the registry), escaped inside JSON strings', async () => {
    const dir = join(scratch(), 'app');
    const result = await initApp({
      dir,
      name: '@studio/game',
      shaddockVersion: '1.2 "b"',
      adminPassword: 'p"\\w',
    });
    expect(result.source).toBe('registry');
    expect(readJson(join(dir, 'package.json'))).toMatchObject({
      name: '@studio/game',
      dependencies: { shaddock: '1.2 "b"', '@shaddock/client': '1.2 "b"' },
    });
    expect(readJson(join(dir, ADMIN_PASSWORD_FILE))).toEqual({ username: 'admin', password: 'p"\\w' });
  });

  it('fills known placeholders and refuses unknown ones', () => {
    expect(fillPlaceholders('{{a}}-{{b}}', { a: '1', b: '"' }, false)).toBe('1-"');
    expect(fillPlaceholders('"{{b}}"', { b: '"' }, true)).toBe('"\\""');
    expect(() => fillPlaceholders('{{c}}', {}, false)).toThrow('{{c}}');
  });

  it('derives a package name from the folder', () => {
    expect(packageNameFor('/x/My Game')).toBe('my-game');
    expect(packageNameFor('/x/.hidden_app')).toBe('hidden_app');
    expect(packageNameFor('/x/___')).toBe('shaddock-app');
  });

  it('accepts an empty folder; refuses a non-empty one, a file and a bad name', async () => {
    const empty = join(scratch(), 'empty');
    mkdirSync(empty);
    expect((await initApp({ dir: empty, source: 'registry' })).files).toEqual(APP_FILES);

    const full = scratch();
    writeFileSync(join(full, 'notes.txt'), 'mine');
    await expect(initApp({ dir: full })).rejects.toThrow(/is not empty \(notes\.txt\)/);
    await expect(initApp({ dir: join(full, 'notes.txt') })).rejects.toThrow(/is not a folder/);
    await expect(initApp({ dir: join(full, 'app'), name: 'Bad Name' })).rejects.toThrow(
      /not a valid npm package name/,
    );
    expect(readdirSync(full)).toEqual(['notes.txt']);
    expect(readFileSync(join(full, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('runs as `shaddock init`, printing where the admin password is, never the password', async () => {
    const dir = join(scratch(), 'cli-app');
    let out = '';
    let err = '';
    const code = await runCli(['init', dir, '--shaddock-version', '0.1.0'], {
      out: (text) => (out += text),
      err: (text) => (err += text),
    });
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const { password } = readJson(join(dir, ADMIN_PASSWORD_FILE));
    expect(out).not.toContain(String(password));
    expect(out).toContain(`its password is in ${join(dir, ADMIN_PASSWORD_FILE)}`);
    expect(out).toContain(
      `created cli-app in ${dir} (${APP_FILES.length} files; shaddock 0.1.0 from the npm registry)`,
    );
    expect(readJson(join(dir, 'package.json'))['dependencies']).toEqual({
      '@shaddock/client': '0.1.0',
      shaddock: '0.1.0',
    });

    let again = '';
    expect(await runCli(['init', dir], { out: () => {}, err: (text) => (again += text) })).toBe(1);
    expect(again).toMatch(/is not empty/);
    let both = '';
    const dir2 = join(scratch(), 'both');
    expect(
      await runCli(['init', dir2, '--registry', '--local'], { out: () => {}, err: (text) => (both += text) }),
    ).toBe(1);
    expect(both).toMatch(/--registry or --local, not both/);
  });
});

describe('where the packages come from', () => {
  it('from a checkout, its own packages, without asking the network', async () => {
    expect(isInstalledCopy(FRAMEWORK_DIR)).toBe(false);
    expect(isInstalledCopy('/app/node_modules/shaddock')).toBe(true);
    expect(await chooseSource(FRAMEWORK_DIR)).toBe('local');
    // what the app names, and every package of the framework those depend on
    const found = localPackages(['shaddock', '@shaddock/client']);
    expect([...found.keys()].sort()).toEqual(['@shaddock/client', '@shaddock/protocol', 'shaddock']);
    expect(found.get('shaddock')).toBe(FRAMEWORK_DIR);
    expect(found.get('@shaddock/protocol')).toBe(join(FRAMEWORK_DIR, '..', 'protocol'));
  });

  it('refuses a copy that is not built, or whose packages cannot be found, naming what to do', () => {
    const framework = join(scratch(), 'shaddock');
    mkdirSync(framework);
    const manifest = {
      name: 'shaddock',
      version: '0.1.0',
      files: ['dist'],
      dependencies: { '@shaddock/gone': '0.1.0' },
    };
    writeFileSync(join(framework, 'package.json'), JSON.stringify(manifest));
    expect(() => localPackages(['shaddock'], framework)).toThrow(
      /not built \(no dist\/\): run npm run build/,
    );
    mkdirSync(join(framework, 'dist'));
    expect(() => localPackages(['shaddock'], framework)).toThrow(
      expect.objectContaining({
        code: ErrorCode.InitPackages,
        message: expect.stringMatching(/cannot find the package @shaddock\/gone/),
      }),
    );
  });

  it('packs them into vendor/ and depends on the tarballs, every one of them listed', async () => {
    const dir = join(scratch(), 'local-app');
    const result = await initApp({ dir, source: 'local' });
    const tarballs = readdirSync(join(dir, 'vendor')).sort();
    const version = frameworkVersion();
    expect(tarballs).toEqual([
      `shaddock-${version}.tgz`,
      `shaddock-client-${version}.tgz`,
      `shaddock-protocol-${version}.tgz`,
    ]);
    const dependencies = {
      '@shaddock/client': `file:vendor/shaddock-client-${version}.tgz`,
      '@shaddock/protocol': `file:vendor/shaddock-protocol-${version}.tgz`,
      shaddock: `file:vendor/shaddock-${version}.tgz`,
    };
    expect(result).toMatchObject({ source: 'local', dependencies, packedFrom: FRAMEWORK_DIR });
    expect(readJson(join(dir, 'package.json'))['dependencies']).toEqual(dependencies);
    expect(result.files).toEqual([...APP_FILES, ...tarballs.map((file) => `vendor/${file}`)].sort());
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain('are tarballs in `vendor/`');
  }, 120_000);
});
