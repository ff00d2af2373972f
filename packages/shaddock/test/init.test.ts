// `shaddock init` end to end, as a user types it in a checkout (built, as `npm test` leaves it):
// `npx shaddock init <dir>/my-game`, then in the app `npm install`, `npm test`, `npm start`. The
// Shaddock packages are on no registry: init must have packed them into the app's vendor/ (only
// the third-party packages, pino, typescript, vitest…, come from npm's cache or registry). Its own
// `npm test` must pass, and `npm start` must run the cluster until Ctrl-C and leave no process
// behind. The one step a user would not take: the development ports are made free ones first
// (other tests run at the same time). Slow (an npm install): minutes at worst.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@shaddock/client';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/index.js';
import { freePort } from './support/app-folder.js';
import { alive, PidTracker, waitFor, waitGone } from './support/processes.js';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const MINUTE = 60_000;

const pids = new PidTracker();
const groups = new Set<number>();
let scratch: string | undefined;

afterEach(async () => {
  for (const group of groups) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  groups.clear();
  if (scratch !== undefined) pids.add(...processesIn(scratch));
  await pids.killAll();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
}, MINUTE);

/**
 * The environment of the commands run in the new app: this one without what an enclosing `npm
 * test` or vitest set (lifecycle variables, `NODE_ENV=test`, vitest's own), keeping how npm reaches
 * its registry and cache.
 */
function appEnvironment(): NodeJS.ProcessEnv {
  const keep =
    /^npm_config_(registry|cache|userconfig|globalconfig|cafile|ca|proxy|https_proxy|noproxy|strict_ssl)$/;
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const dropped =
      (/^npm_/i.test(key) && !keep.test(key)) || /^(VITEST.*|TEST|NODE_ENV|INIT_CWD|SHADDOCK_.*)$/.test(key);
    if (!dropped) env[key] = value;
  }
  return env;
}

/** Pids of the processes whose command line names `dir`, or whose working folder is in it (Linux; none elsewhere). */
function processesIn(dir: string): number[] {
  if (process.platform !== 'linux') return [];
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if ((command.includes(dir) || cwd === dir || cwd.startsWith(`${dir}/`)) && alive(pid)) found.push(pid);
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

/** A command started by {@link launch}. */
interface Launched {
  readonly child: ChildProcess;
  /** Its stdout. */
  stdout(): string;
  /** Its stdout and stderr, interleaved. */
  output(): string;
}

/** Starts a command in its own process group (so that cleanup reaches everything it starts), keeping its output. */
function launch(command: string, args: string[], cwd: string): Launched {
  const child = spawn(command, args, {
    cwd,
    env: appEnvironment(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid !== undefined) groups.add(child.pid);
  pids.add(child.pid);
  let stdout = '';
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
    output += text;
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (output += text));
  return { child, stdout: () => stdout, output: () => output };
}

/** Runs a command to its end; resolves with its stdout; rejects with its output when it fails or outlasts `timeoutMs`. */
async function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<string> {
  const { child, stdout, output } = launch(command, args, cwd);
  const code = await new Promise<number | null>((resolveExit, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${command} ${args.join(' ')} took over ${timeoutMs} ms:\n${output()}`)),
      timeoutMs,
    );
    child.once('error', reject);
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      resolveExit(exitCode);
    });
  });
  if (child.pid !== undefined) groups.delete(child.pid);
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}:\n${output()}`);
  return stdout();
}

/** Gives the app's development servers and master free ports; resolves with the connector's client port. */
async function freeDevelopmentPorts(app: string): Promise<number> {
  const serversFile = join(app, 'config', 'servers.json');
  const servers = JSON.parse(readFileSync(serversFile, 'utf8')) as Record<
    string,
    Record<string, Record<string, unknown>[]>
  >;
  let clientPort = 0;
  for (const list of Object.values(servers['development'] ?? {})) {
    for (const server of list) {
      server['port'] = await freePort();
      if (server['clientPort'] !== undefined) clientPort = server['clientPort'] = await freePort();
    }
  }
  writeFileSync(serversFile, JSON.stringify(servers, null, 2));
  const masterFile = join(app, 'config', 'master.json');
  const master = JSON.parse(readFileSync(masterFile, 'utf8')) as Record<string, Record<string, unknown>>;
  master['development'] = { ...master['development'], port: await freePort() };
  writeFileSync(masterFile, JSON.stringify(master, null, 2));
  return clientPort;
}

/**
 * The pids `shaddock list` shows (it logs in with the passwordKey of config/adminUser.json): the
 * master's and its servers'.
 */
async function listPids(app: string): Promise<number[]> {
  let listed = '';
  const write = (text: string): void => {
    listed += text;
  };
  expect(await runCli(['list', '--dir', app, '--env', 'development'], { out: write, err: write })).toBe(0);
  const found = [...listed.matchAll(/^\S+ +\S+ +(\d+) .* running /gm)].map((match) => Number(match[1]));
  expect(found, listed).toHaveLength(3);
  return found;
}

describe('shaddock init', () => {
  it(
    'from a checkout, npx shaddock init makes an app whose npm install, npm test and npm start work',
    async () => {
      scratch = mkdtempSync(join(tmpdir(), 'shaddock-init-'));
      const app = join(scratch, 'my-game');
      const printed = await run('npx', ['shaddock', 'init', app], ROOT, 2 * MINUTE);
      expect(printed).toContain(`its password is in ${join(app, '.shaddock/admin-password.json')}`);
      expect(printed).toMatch(/packed from \S+ into vendor\//);
      const { password } = JSON.parse(readFileSync(join(app, '.shaddock/admin-password.json'), 'utf8')) as {
        password: string;
      };
      expect(printed).not.toContain(password);
      const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as {
        dependencies: Record<string, string>;
      };
      for (const name of ['shaddock', '@shaddock/client', '@shaddock/protocol'])
        expect(manifest.dependencies[name], name).toMatch(/^file:vendor\/.*\.tgz$/);

      await run('npm', ['install'], app, 4 * MINUTE);
      // every Shaddock package from vendor/, none from a registry, none twice
      const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { resolved?: string }>;
      };
      const own = Object.entries(lock.packages).filter(([where]) =>
        /node_modules\/(shaddock|@shaddock\/[^/]+)$/.test(where),
      );
      expect(own.map(([where, entry]) => [where, entry.resolved])).toEqual([
        ['node_modules/@shaddock/client', manifest.dependencies['@shaddock/client']],
        ['node_modules/@shaddock/protocol', manifest.dependencies['@shaddock/protocol']],
        ['node_modules/shaddock', manifest.dependencies['shaddock']],
      ]);

      // Its test is not part of its build: check it as strictly as the app.
      const strict = {
        extends: './tsconfig.json',
        compilerOptions: { rootDir: '.', noEmit: true },
        include: ['src', 'test'],
      };
      writeFileSync(join(app, 'tsconfig.check.json'), JSON.stringify(strict));
      await run(
        process.execPath,
        [join(app, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.check.json'],
        app,
        MINUTE,
      );

      // The app's own test: the cluster on free ports, a client, a clean stop.
      expect(await run('npm', ['test'], app, 3 * MINUTE)).toMatch(/1 passed/);
      expect(processesIn(app)).toEqual([]);

      // npm start, then Ctrl-C as a terminal sends it: SIGINT to the command's process group.
      const clientPort = await freeDevelopmentPorts(app);
      const started = launch('npm', ['start'], app);
      const ended = new Promise<string>((resolveEnd) =>
        started.child.once('close', (code, signal) => resolveEnd(signal ?? `code ${code}`)),
      );
      await waitFor(
        'the cluster to be ready',
        () => {
          if (started.child.exitCode !== null) throw new Error(`npm start ended:\n${started.output()}`);
          return /all 2 servers are ready/.test(started.output());
        },
        MINUTE,
      );
      const running = await listPids(app);
      pids.add(...running);
      const client = await connect({ host: '127.0.0.1', port: clientPort, transport: 'tcp' });
      expect(await client.request('connector.entryHandler.entry', { name: 'bob' })).toEqual({
        code: 200,
        greeting: 'Hello, bob! (chat-server-1)',
      });
      await client.close();

      process.kill(-(started.child.pid ?? 0), 'SIGINT');
      // npm itself dies of the signal, as in a terminal, once its output closes: the cluster has stopped.
      expect(['SIGINT', 'code 0', 'code 130']).toContain(await ended);
      for (const line of [
        'chat-server-1 stopped (code 0)',
        'connector-server-1 stopped (code 0)',
        'master stopped',
      ])
        expect(started.output()).toContain(line);
      await waitGone(running);
      expect(processesIn(app)).toEqual([]);
    },
    12 * MINUTE,
  );
});
