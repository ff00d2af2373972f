import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadClusterConfig, resolveClusterSecret } from '../config/index.js';
import { runCli } from './index.js';
import {
  fillPlaceholders,
  frameworkVersion,
  initApp,
  listTemplateFiles,
  packageNameFor,
  targetName,
} from './init.js';

const APP_FILES = [
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
  it('writes every template file, placeholders filled, .gitignore under its real name', () => {
    expect(listTemplateFiles().map(targetName).sort()).toEqual(APP_FILES);
    const dir = join(scratch(), 'Space Game!');
    const result = initApp({ dir });
    expect(result).toMatchObject({ dir, name: 'space-game', shaddockVersion: `^${frameworkVersion()}` });
    expect(result.files).toEqual(APP_FILES);
    for (const file of result.files) expect(readFileSync(join(dir, file), 'utf8'), file).not.toMatch(/\{\{/);

    const manifest = readJson(join(dir, 'package.json'));
    expect(manifest).toMatchObject({
      name: 'space-game',
      type: 'module',
      dependencies: { shaddock: `^${frameworkVersion()}`, '@shaddock/client': `^${frameworkVersion()}` },
      devDependencies: { typescript: expect.any(String), vitest: expect.any(String) },
      scripts: {
        build: expect.stringMatching(/^tsc && /),
        start: 'npm run build && shaddock start',
        test: 'npm run build && vitest run',
      },
    });
    expect(result.adminPassword).toMatch(/^[\w-]{24}$/);
    expect(JSON.parse(readFileSync(join(dir, 'config/adminUser.json'), 'utf8'))).toEqual([
      { id: 'admin', username: 'admin', password: result.adminPassword, level: 1 },
    ]);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(/^# space-game\n/);
    const other = initApp({ dir: join(scratch(), 'other') });
    expect(other.adminPassword).not.toBe(result.adminPassword);
    expect(other.clusterSecret).not.toBe(result.clusterSecret);
  });

  it('generates a cluster secret into config/cluster.json, which the app config loads', async () => {
    const dir = join(scratch(), 'secret-app');
    const result = initApp({ dir });
    expect(result.clusterSecret).toMatch(/^[\w-]{43}$/);
    expect(readJson(join(dir, 'config/cluster.json'))).toEqual({ secret: result.clusterSecret });
    // the config as every process of the new app reads it: production starts with this secret
    const cluster = await loadClusterConfig({ base: dir, env: 'production', environment: {} });
    expect(cluster.drivers.secret).toBe(result.clusterSecret);
    expect(resolveClusterSecret(cluster.drivers, 'production', dir)).toEqual({
      secret: result.clusterSecret,
      source: 'configured',
    });
    expect(() => initApp({ dir: join(scratch(), 'short'), clusterSecret: 'too short' })).toThrow(
      /at least 32/,
    );
  });

  it('takes a name and a version spec, escaped inside JSON strings', () => {
    const dir = join(scratch(), 'app');
    initApp({ dir, name: '@studio/game', shaddockVersion: 'file:../a "b".tgz', adminPassword: 'p"\\w' });
    expect(readJson(join(dir, 'package.json'))).toMatchObject({
      name: '@studio/game',
      dependencies: { shaddock: 'file:../a "b".tgz', '@shaddock/client': 'file:../a "b".tgz' },
    });
    expect(readFileSync(join(dir, 'config/adminUser.json'), 'utf8')).toContain('"p\\"\\\\w"');
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

  it('accepts an empty folder; refuses a non-empty one, a file and a bad name', () => {
    const empty = join(scratch(), 'empty');
    mkdirSync(empty);
    expect(initApp({ dir: empty }).files).toEqual(APP_FILES);

    const full = scratch();
    writeFileSync(join(full, 'notes.txt'), 'mine');
    expect(() => initApp({ dir: full })).toThrow(/is not empty \(notes\.txt\)/);
    expect(() => initApp({ dir: join(full, 'notes.txt') })).toThrow(/is not a folder/);
    expect(() => initApp({ dir: join(full, 'app'), name: 'Bad Name' })).toThrow(
      /not a valid npm package name/,
    );
    expect(readFileSync(join(full, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('runs as `shaddock init`, printing the admin password once', async () => {
    const dir = join(scratch(), 'cli-app');
    let out = '';
    let err = '';
    const code = await runCli(['init', dir, '--shaddock-version', '0.1.0'], {
      out: (text) => (out += text),
      err: (text) => (err += text),
    });
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const { password } = (
      JSON.parse(readFileSync(join(dir, 'config/adminUser.json'), 'utf8')) as { password: string }[]
    )[0]!;
    expect(out.split(password)).toHaveLength(2);
    expect(out).toContain(`created cli-app in ${dir} (${APP_FILES.length} files, shaddock 0.1.0)`);
    expect(readJson(join(dir, 'package.json'))['dependencies']).toEqual({
      '@shaddock/client': '0.1.0',
      shaddock: '0.1.0',
    });

    let again = '';
    expect(await runCli(['init', dir], { out: () => {}, err: (text) => (again += text) })).toBe(1);
    expect(again).toMatch(/is not empty/);
  });
});
