import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode, ShaddockError } from '../errors.js';
import { createLogger } from '../logging/index.js';
import { CronService, checkCronEntry, readCronConfig } from './index.js';

/** A logger writing JSON lines to memory, and those lines. */
function memoryLogger(): {
  logger: ReturnType<typeof createLogger>;
  lines(): Array<Record<string, unknown>>;
} {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      text += String(chunk);
      callback();
    },
  });
  const logger = createLogger({ serverId: 'chat-1', serverType: 'chat', stream, level: 'info' });
  const lines = (): Array<Record<string, unknown>> =>
    text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('checkCronEntry', () => {
  it('accepts Pomelo entries and splits the action', () => {
    expect(checkCronEntry({ id: 1, time: '0 30 10 * * *', action: 'chatCron.sayHi' })).toMatchObject({
      key: '1',
      handler: 'chatCron',
      method: 'sayHi',
      entry: { id: 1, time: '0 30 10 * * *', action: 'chatCron.sayHi' },
    });
    expect(
      checkCronEntry({ id: 'a', time: '*/5 * * * * 1-5', action: 'x.y', serverId: 'chat-1' }),
    ).toMatchObject({
      key: 'a',
      entry: { serverId: 'chat-1' },
    });
  });

  it.each([
    [null, 'expected a cron object'],
    [{ time: '* * * * * *', action: 'a.b' }, '"id" must be'],
    [{ id: 1, time: '* * * * * *', action: 'ab' }, '"action" must be "<cron handler>.<method>"'],
    [{ id: 1, time: '* * * * * *', action: 'a.b.c' }, '"action" must be'],
    [{ id: 1, time: '* * * * *', action: 'a.b' }, 'must have six fields'],
    [{ id: 1, time: 5, action: 'a.b' }, '"time" must be a string'],
    [{ id: 1, time: '0 61 * * * *', action: 'a.b' }, 'is not a cron time'],
    [{ id: 1, time: '0 0 0 31 2 *', action: 'a.b' }, 'never comes'],
    [{ id: 1, time: '* * * * * *', action: 'a.b', serverId: 3 }, '"serverId" must be'],
  ])('refuses %j, saying why', (entry, reason) => {
    expect(checkCronEntry(entry)).toEqual(expect.stringContaining(reason));
  });
});

describe('readCronConfig', () => {
  const folders: string[] = [];
  afterEach(() => {
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });
  const appWith = (crons: unknown): string => {
    const base = mkdtempSync(join(tmpdir(), 'shaddock-crons-'));
    folders.push(base);
    mkdirSync(join(base, 'config'));
    writeFileSync(join(base, 'config', 'crons.json'), JSON.stringify(crons));
    return base;
  };
  const server = { env: 'development', serverType: 'chat', serverId: 'chat-1' } as const;

  it("answers this server's crons: its type's, without serverId or with its own", async () => {
    const base = appWith({
      development: {
        chat: [
          { id: 1, time: '0 30 10 * * *', action: 'chatCron.sayHi' },
          { id: 2, time: '* * * * * *', action: 'chatCron.tick', serverId: 'chat-1' },
          { id: 2, time: '* * * * * *', action: 'chatCron.tick', serverId: 'chat-2' },
        ],
        connector: [{ id: 1, time: '* * * * * *', action: 'c.d' }],
      },
    });
    const crons = await readCronConfig({ base, ...server });
    expect(crons.map((cron) => cron.entry)).toEqual([
      { id: 1, time: '0 30 10 * * *', action: 'chatCron.sayHi' },
      { id: 2, time: '* * * * * *', action: 'chatCron.tick', serverId: 'chat-1' },
    ]);
  });

  it('reads a flat file; none, or another environment only, holds no crons', async () => {
    const flat = appWith({ chat: [{ id: 1, time: '0 0 * * * *', action: 'a.b' }] });
    expect(await readCronConfig({ base: flat, ...server })).toHaveLength(1);
    const production = appWith({ production: { chat: [{ id: 1, time: '0 0 * * * *', action: 'a.b' }] } });
    expect(await readCronConfig({ base: production, ...server })).toEqual([]);
    const empty = mkdtempSync(join(tmpdir(), 'shaddock-crons-'));
    folders.push(empty);
    expect(await readCronConfig({ base: empty, ...server })).toEqual([]);
  });

  it('refuses a malformed entry of any type with a ConfigError naming the file and the entry', async () => {
    const base = appWith({
      development: { chat: [], gate: [{ id: 1, time: '0 0 * * *', action: 'a.b' }] },
    });
    const failure = await readCronConfig({ base, ...server }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    expect(failure).toMatchObject({ code: ErrorCode.CronInvalid, field: 'development.gate[0]' });
    expect((failure as Error).message).toContain(join(base, 'config', 'crons.json'));
    expect((failure as Error).message).toContain('six fields');
  });

  it("refuses two of this server's crons with one id, and a list that is not one", async () => {
    const twice = appWith({
      chat: [
        { id: 3, time: '0 0 * * * *', action: 'a.b' },
        { id: '3', time: '0 1 * * * *', action: 'a.c' },
      ],
    });
    await expect(readCronConfig({ base: twice, ...server })).rejects.toThrow(
      /\(chat\[1\]\).*cron id 3 is also chat\[0\]/,
    );
    const notList = appWith({ chat: 'every day', gate: [] });
    await expect(readCronConfig({ base: notList, ...server })).rejects.toThrow(
      /\(chat\): expected a list of crons/,
    );
  });
});

describe('CronService', () => {
  const services: CronService[] = [];
  afterEach(() => {
    for (const service of services.splice(0)) service.stop();
  });
  const makeService = (): { service: CronService; lines(): Array<Record<string, unknown>> } => {
    const { logger, lines } = memoryLogger();
    const service = new CronService({ serverId: 'chat-1', logger });
    services.push(service);
    return { service, lines };
  };

  it('runs a handler method every second, bound to its handler, until removed', async () => {
    const { service } = makeService();
    const handler = {
      runs: 0,
      tick(this: { runs: number }) {
        this.runs += 1;
      },
    };
    service.registerHandler('counter', handler);
    service.add([{ id: 1, time: '* * * * * *', action: 'counter.tick' }]);
    expect(service.list()).toEqual([{ id: 1, time: '* * * * * *', action: 'counter.tick' }]);
    await until('two runs', () => handler.runs >= 2);
    service.remove([{ id: '1' }]);
    expect(service.list()).toEqual([]);
    const after = handler.runs;
    await sleep(2_200);
    expect(handler.runs).toBe(after);
  });

  it('refuses a malformed batch or a duplicate id whole, naming the entry', () => {
    const { service } = makeService();
    service.registerHandler('a', { b() {} });
    service.add([{ id: 1, time: '0 0 * * * *', action: 'a.b' }]);
    expect(() =>
      service.add([
        { id: 2, time: '0 0 * * * *', action: 'a.b' },
        { id: 1, time: '0 0 * * * *', action: 'a.b' },
      ]),
    ).toThrow(/cron \[1\]: id 1 is already scheduled on chat-1/);
    expect(() => service.add([{ id: 3, time: 'soon', action: 'a.b' }])).toThrow(ShaddockError);
    expect(service.list().map((cron) => cron.id)).toEqual([1]);
  });

  it("logs a missing handler or method once and skips the cron, another server's cron too", () => {
    const { service, lines } = makeService();
    service.registerHandler('known', { run() {} });
    service.add([
      { id: 1, time: '* * * * * *', action: 'ghost.run' },
      { id: 2, time: '* * * * * *', action: 'known.nothing' },
      { id: 3, time: '* * * * * *', action: 'known.run', serverId: 'chat-2' },
    ]);
    expect(service.list()).toEqual([]);
    const messages = lines().map((line) => line['msg']);
    expect(messages).toEqual([
      expect.stringMatching(/cron 1 \(ghost\.run\): no cron handler "ghost".*known: known/),
      'cron 2 (known.nothing): the cron handler "known" has no method "nothing"',
      'cron 3 is for server chat-2, not scheduled on chat-1',
    ]);
    service.remove([{ id: 9 }]);
    expect(lines().at(-1)?.['msg']).toBe('cron 9 is not scheduled on chat-1; nothing removed');
  });

  it('logs a cron that throws or rejects, the first line in full, and keeps running it', async () => {
    const { service, lines } = makeService();
    let runs = 0;
    service.registerHandler('bad', {
      sync() {
        runs += 1;
        throw new Error('sync boom');
      },
      async later() {
        throw new Error('async boom');
      },
    });
    service.add([
      { id: 'sync', time: '* * * * * *', action: 'bad.sync' },
      { id: 'async', time: '* * * * * *', action: 'bad.later' },
    ]);
    await until('two runs of each', () => runs >= 2);
    await sleep(300);
    const failures = lines().filter((line) => String(line['msg']).endsWith('failed'));
    // repeats within the window are counted, not written
    expect(failures.map((line) => line['msg']).sort()).toEqual([
      'cron async (bad.later) failed',
      'cron sync (bad.sync) failed',
    ]);
    expect(failures.find((line) => line['cron'] === 'sync')?.['err']).toMatchObject({ message: 'sync boom' });
    expect(failures.find((line) => line['cron'] === 'async')?.['err']).toMatchObject({
      message: 'async boom',
    });
    service.stop();
    expect(lines().filter((line) => typeof line['repeated'] === 'number').length).toBeGreaterThan(0);
  });

  it('logs the runs a frozen process missed, and runs once when it wakes', async () => {
    const { service, lines } = makeService();
    let runs = 0;
    service.registerHandler('beat', {
      run() {
        runs += 1;
      },
    });
    service.add([{ id: 7, time: '* * * * * *', action: 'beat.run' }]);
    await until('a first run', () => runs >= 1);
    // the process freezes for 3.5 s: no timer can fire
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3_500);
    await until('the late run', () =>
      lines().some((line) => line['cron'] === 7 && line['missed'] !== undefined),
    );
    const late = lines().find((line) => line['cron'] === 7 && line['missed'] !== undefined);
    expect(late?.['msg']).toMatch(/cron 7 \(beat\.run\) ran \d+ ms late and missed \d+ run\(s\)/);
    expect(late?.['missed']).toBeGreaterThanOrEqual(2);
    expect(late?.['level']).toBe(40);
  });

  it('refuses crons once stopped', () => {
    const { service } = makeService();
    service.stop();
    expect(() => service.add([])).toThrow(/stopping/);
  });
});
