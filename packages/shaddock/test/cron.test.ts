// Crons in a real cluster: the cron-app fixture (a master and one backend, `ticker`) started by the
// real `shaddock start`, its crons from config/crons.json in Pomelo's shape, its Pomelo-shaped
// CommonJS cron handler writing to a file the test reads; crons added and removed at run time over
// RPC; a cron that throws and one whose method is missing are logged and the server keeps going.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalMembership } from 'shaddock';
import { RpcClient } from 'shaddock/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminClient } from '../src/admin/index.js';
import { runCli } from '../src/cli/index.js';
import { ADMIN, freePort, makeAppFolder } from './support/app-folder.js';
import { PidTracker, SHADDOCK_BIN, waitFor, waitGone } from './support/processes.js';

const ENTRY = fileURLToPath(new URL('./fixtures/cron-app/app.js', import.meta.url));

const CRONS = [
  { id: 1, time: '*/1 * * * * *', action: 'tickCron.tick' },
  { id: 2, time: '*/1 * * * * *', action: 'tickCron.boom' },
  { id: 3, time: '*/1 * * * * *', action: 'tickCron.later' },
  { id: 4, time: '*/1 * * * * *', action: 'tickCron.missing' },
  { id: 5, time: '*/1 * * * * *', action: 'tickCron.tick', serverId: 'ticker-2' },
];

/** Pomelo-style: the cron handler's category and Shaddock's cron lines each to their own file. */
const LOG4JS = {
  appenders: [
    { type: 'console' },
    {
      type: 'file',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: log4js.json's placeholders
      filename: '${opts:base}/logs/tick-${opts:serverId}.log',
      category: 'tick',
      maxLogSize: 1048576,
    },
    // biome-ignore lint/suspicious/noTemplateCurlyInString: log4js.json's placeholders
    { type: 'file', filename: '${opts:base}/logs/crons.log', category: 'cron' },
  ],
  levels: { tick: 'INFO' },
  replaceConsole: true,
};

const pids = new PidTracker();
const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  // a failed test may leave the cluster up: kill it through its master, then what is left
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await pids.killAll();
});

interface Started {
  readonly dir: string;
  readonly rpcPort: number;
  readonly command: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
}

/** An app folder with one ticker and these crons, run by `shaddock start` in the foreground. */
async function start(crons: unknown): Promise<Started> {
  const rpcPort = await freePort();
  const folder = makeAppFolder({
    masterPort: await freePort(),
    servers: { ticker: [{ id: 'ticker-1', host: '127.0.0.1', port: rpcPort }] },
    prefix: 'shaddock-cron-',
  });
  cleanups.push(folder.remove);
  const silent = { out: () => {}, err: () => {} };
  cleanups.push(() =>
    runCli(['kill', '--force', '--dir', folder.dir, '--env', 'test'], silent).catch(() => 1),
  );
  writeFileSync(join(folder.dir, 'config', 'crons.json'), JSON.stringify(crons));
  writeFileSync(join(folder.dir, 'config', 'log4js.json'), JSON.stringify(LOG4JS));
  const command = spawn(
    process.execPath,
    [SHADDOCK_BIN, 'start', '--dir', folder.dir, '--env', 'test', '--entry', ENTRY],
    {
      detached: true,
      env: { ...process.env, SHADDOCK_BASE: folder.dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  pids.add(command.pid);
  let output = '';
  command.stdout?.setEncoding('utf8').on('data', (text: string) => (output += text));
  command.stderr?.setEncoding('utf8').on('data', (text: string) => (output += text));
  const exited = new Promise<number | null>((resolve) => command.once('exit', (code) => resolve(code)));
  return { dir: folder.dir, rpcPort, command, exited, output: () => output };
}

/** The lines the ticker's cron handler wrote, of one kind. */
function records(dir: string, kind: string): string[] {
  const file = join(dir, 'ticks.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith(`${kind} `));
}

function readLog(dir: string, name: string): string {
  const file = join(dir, 'logs', name);
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

function serverLog(dir: string): string {
  return readLog(dir, 'ticker-1.log');
}

function masterPortOf(dir: string): number {
  const master = JSON.parse(readFileSync(join(dir, 'config', 'master.json'), 'utf8')) as {
    test: { port: number };
  };
  return master.test.port;
}

/** Waits for the master to list its ticker running, and records every pid it lists. */
async function trackServers(port: number): Promise<void> {
  await waitFor(
    'the cluster to be up',
    async () => {
      const admin = await AdminClient.connect({ host: '127.0.0.1', port, ...ADMIN }).catch(() => undefined);
      if (!admin) return undefined;
      try {
        const rows = await admin.list();
        pids.add(...rows.map((row) => row.pid));
        return rows.some((row) => row.id === 'ticker-1' && row.state === 'running');
      } finally {
        await admin.close();
      }
    },
    60_000,
  );
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('crons in a cluster started by shaddock start', () => {
  it("run crons.json's crons on their server, log failures without stopping, and are added and removed at run time", async () => {
    const started = await start({ test: { ticker: CRONS } });
    const { dir } = started;
    const context = (): string => `${started.output().slice(-3_000)}\n${serverLog(dir).slice(-3_000)}`;
    await trackServers(masterPortOf(dir));
    await waitFor('three ticks', () => records(dir, 'tick').length >= 3, 60_000, context);
    expect(records(dir, 'tick').every((line) => line.includes(' ticker-1 '))).toBe(true);

    // every failure is in the server's log, once in full; the server keeps ticking
    await waitFor(
      'the failures in the log',
      () => serverLog(dir).includes('cron 3 (tickCron.later) failed'),
      30_000,
      context,
    );
    const log = serverLog(dir);
    expect(log).toContain('"msg":"cron 2 (tickCron.boom) failed"');
    expect(log).toContain('boom from a cron');
    expect(log).toContain('async boom from a cron');
    expect(log).toContain('the cron handler \\"tickCron\\" has no method \\"missing\\"');
    expect(
      log
        .split('\n')
        .filter(
          (line) => line.includes('"msg":"cron 2 (tickCron.boom) failed"') && !line.includes('repeated'),
        ),
    ).toHaveLength(1);
    expect(log).not.toContain('"cron":5');

    // log4js.json: the handler's pomelo-logger lines in its category's file, the cron lines in theirs
    const tickLog = readLog(dir, 'tick-ticker-1.log');
    expect(tickLog).toContain('"category":"tick"');
    expect(tickLog).toMatch(/"file":"[^"]*tickCron\.cjs","msg":"tick 1 on ticker-1"/);
    expect(tickLog).not.toContain('"category":"cron"');
    const cronLog = readLog(dir, 'crons.log');
    expect(cronLog).toContain('"msg":"cron 2 (tickCron.boom) failed"');
    expect(cronLog).not.toContain('"category":"tick"');
    // what log4js.json asks and is not done is said once, by the master
    expect(started.output().match(/maxLogSize\\?" is not applied/g)).toHaveLength(1);

    const client = new RpcClient({
      serverId: 'cron-test',
      membership: new LocalMembership([
        { id: 'ticker-1', serverType: 'ticker', host: '127.0.0.1', port: started.rpcPort, frontend: false },
      ]),
      timeout: 15_000,
    });
    cleanups.push(() => client.close());
    const call = (method: 'add' | 'remove', crons: unknown[]): Promise<unknown> =>
      client.invoke('ticker-1', { namespace: 'user', serverType: 'ticker', remote: 'cronRemote', method }, [
        crons,
      ]);

    expect(await call('add', [{ id: 9, time: '*/1 * * * * *', action: 'tickCron.extra' }])).toEqual([
      1, 2, 3, 9,
    ]);
    await waitFor('two extra runs', () => records(dir, 'extra').length >= 2, 30_000, context);
    // a bad entry is refused whole, with the reason, to the caller
    await expect(call('add', [{ id: 10, time: '* * * * *', action: 'tickCron.extra' }])).rejects.toThrow(
      /six fields/,
    );
    expect(await call('remove', [{ id: 9 }, { id: '1' }])).toEqual([2, 3]);
    await sleep(1_500);
    const ticks = records(dir, 'tick').length;
    const extras = records(dir, 'extra').length;
    await sleep(2_500);
    expect([records(dir, 'tick').length, records(dir, 'extra').length]).toEqual([ticks, extras]);

    // Ctrl-C: the cluster stops gracefully, crons with it
    process.kill(-(started.command.pid ?? 0), 'SIGINT');
    expect(await started.exited).toBe(0);
    await waitGone(pids.all());
    await sleep(1_500);
    expect(records(dir, 'tick').length).toBe(ticks);
  });

  it('a malformed crons.json stops the start with an error naming the file and the entry', async () => {
    const started = await start({
      test: { ticker: [{ id: 1, time: '0 0 * * *', action: 'tickCron.tick' }] },
    });
    const code = await Promise.race([started.exited, sleep(60_000).then(() => 'still running')]);
    expect(code).not.toBe(0);
    expect(code).not.toBe('still running');
    expect(started.output()).toMatch(/crons\.json \(test\.ticker\[0\]\): "time" must have six fields/);
    await waitGone(pids.all());
  });
});
