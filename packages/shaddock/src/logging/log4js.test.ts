// biome-ignore-all lint/suspicious/noTemplateCurlyInString: log4js.json's placeholders are ${scope:name} in plain strings
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createLogger,
  getLogger,
  getPomeloLogger,
  mapLog4jsConfig,
  readLog4jsConfig,
  replaceConsole,
  setRootLogger,
} from './index.js';

/** Pomelo 2.2.7's template log4js.json, in part (the same shape, the same kinds of appenders). */
const TEMPLATE = {
  appenders: [
    { type: 'console' },
    {
      type: 'file',
      filename: '${opts:base}/logs/con-log-${opts:serverId}.log',
      pattern: 'connector',
      maxLogSize: 1048576,
      layout: { type: 'basic' },
      backups: 5,
      category: 'con-log',
    },
    {
      type: 'file',
      filename: '${opts:base}/logs/rpc-log-${opts:serverId}.log',
      maxLogSize: 1048576,
      layout: { type: 'basic' },
      backups: 5,
      category: 'rpc-log',
    },
    { type: 'file', filename: '${opts:base}/logs/pomelo.log', category: 'pomelo' },
  ],
  levels: { 'rpc-log': 'ERROR', 'forward-log': 'ERROR' },
  replaceConsole: true,
  lineDebug: false,
};

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});
function temporaryFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'shaddock-log4js-'));
  folders.push(folder);
  return folder;
}

/** A stream that keeps nothing: the tests read the files. */
const nowhere = (): Writable =>
  new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });

function readLines(file: string): Array<Record<string, unknown>> {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('mapLog4jsConfig', () => {
  it("maps Pomelo's template: files per category, levels, replaceConsole, and says what it does not apply", () => {
    const mapping = mapLog4jsConfig('/app/config/log4js.json', TEMPLATE, {
      base: '/app',
      serverId: 'chat-1',
    });
    expect(mapping.files).toEqual([]);
    expect(mapping.categories).toEqual({
      'con-log': { files: ['/app/logs/con-log-chat-1.log'] },
      'rpc-log': { files: ['/app/logs/rpc-log-chat-1.log'], level: 'error' },
      pomelo: { files: ['/app/logs/pomelo.log'] },
      'forward-log': { files: [], level: 'error' },
    });
    expect(mapping.replaceConsole).toBe(true);
    expect(mapping.notices).toEqual([
      '/app/config/log4js.json: "pattern" is not applied (files are not rotated by date here: rotate them with logrotate), in the appenders of con-log',
      '/app/config/log4js.json: "maxLogSize" is not applied (files are not rotated here: rotate them with logrotate (copytruncate)), in the appenders of con-log, rpc-log',
      '/app/config/log4js.json: "layout" is not applied (lines are written as JSON (read them with `shaddock start`, or any tool that reads pino lines)), in the appenders of con-log, rpc-log',
      '/app/config/log4js.json: "backups" is not applied (files are not rotated here: rotate them with logrotate (copytruncate)), in the appenders of con-log, rpc-log',
    ]);
  });

  it('reports unknown appenders, options, levels and keys in one line each, and reads [all], env and args', () => {
    const mapping = mapLog4jsConfig(
      'log4js.json',
      {
        appenders: [
          { type: 'smtp', recipients: 'ops@example.com' },
          { type: 'dateFile', filename: 'logs/${env:GAME_NAME}-${args:2:x}.log', compress: true },
          { type: 'file' },
          { type: 'file', filename: 'logs/a.log', category: ['a', 'b'] },
        ],
        levels: { '[all]': 'warn', a: 'LOUD', b: 'off' },
        reloadSecs: 60,
        lineDebug: true,
      },
      { base: '/srv/game', serverId: 's', environment: { GAME_NAME: 'go' }, argv: ['node', 'app.js'] },
    );
    expect(mapping.files).toEqual(['/srv/game/logs/go-x.log']);
    expect(mapping.categories).toEqual({
      a: { files: ['/srv/game/logs/a.log'] },
      b: { files: ['/srv/game/logs/a.log'], level: 'silent' },
    });
    expect(mapping.level).toBe('warn');
    expect(mapping.notices).toEqual([
      'log4js.json: "reloadSecs" is not applied',
      'log4js.json: "lineDebug" is not applied (no line numbers in lines)',
      'log4js.json: appenders[0] has the appender type "smtp", which is not supported; ignored',
      'log4js.json: appenders[2] has no "filename"; ignored',
      'log4js.json: "compress" is not applied (not an option this logger knows), in the appenders of appenders[1]',
      'log4js.json: levels.a "LOUD" is not a log4js level; ignored',
    ]);
  });

  it("reports log4js 2's format instead of guessing", () => {
    const mapping = mapLog4jsConfig(
      'l.json',
      { appenders: { out: { type: 'stdout' } }, categories: {} },
      { base: '/', serverId: 's' },
    );
    expect(mapping.notices).toEqual([
      'l.json: "categories" is not applied',
      'l.json: "appenders" is not a list (log4js 2\'s format?); only Pomelo\'s log4js format is read, so no appender applies',
    ]);
  });
});

describe('log4js.json on the kernel logger, with real files', () => {
  it('writes each category to its files and at its level, every line to the server file, and reads config/log4js.json', async () => {
    const base = temporaryFolder();
    mkdirSync(join(base, 'config'));
    writeFileSync(join(base, 'config', 'log4js.json'), JSON.stringify(TEMPLATE));
    const mapping = await readLog4jsConfig('development', { base, serverId: 'chat-1', environment: {} });
    expect(mapping?.file).toBe(join(base, 'config', 'log4js.json'));
    const serverFile = join(base, 'logs', 'chat-1.log');
    setRootLogger(
      createLogger({
        serverId: 'chat-1',
        serverType: 'chat',
        stream: nowhere(),
        file: serverFile,
        files: mapping?.files ?? [],
        categories: mapping?.categories ?? {},
      }),
    );
    getLogger('con-log').info({ uid: 'bob' }, 'connected');
    getLogger('rpc-log').info('an rpc, below the level');
    getLogger('rpc-log').error('an rpc failed');
    getLogger('rpc-log').child({ route: 'chat.chatRemote.add' }).error('a child keeps the route');
    getLogger('forward-log').warn('forward-log is at error');
    getLogger('chat').info('no route');
    getPomeloLogger(
      'pomelo',
      join(process.cwd(), 'app', 'servers', 'chat', 'handler', 'chatHandler.js'),
    ).info('user %s joined %d rooms', 'bob', 2);

    const conLog = readLines(join(base, 'logs', 'con-log-chat-1.log'));
    expect(conLog).toEqual([
      expect.objectContaining({ category: 'con-log', uid: 'bob', msg: 'connected', serverId: 'chat-1' }),
    ]);
    const rpcLog = readLines(join(base, 'logs', 'rpc-log-chat-1.log'));
    expect(rpcLog.map((line) => line['msg'])).toEqual(['an rpc failed', 'a child keeps the route']);
    expect(rpcLog[1]).toMatchObject({ category: 'rpc-log', route: 'chat.chatRemote.add' });
    expect(readLines(join(base, 'logs', 'pomelo.log'))).toEqual([
      expect.objectContaining({
        category: 'pomelo',
        file: join('app', 'servers', 'chat', 'handler', 'chatHandler.js'),
        msg: 'user bob joined 2 rooms',
      }),
    ]);
    // the server's own file has every line written, each once
    expect(readLines(serverFile).map((line) => line['msg'])).toEqual([
      'connected',
      'an rpc failed',
      'a child keeps the route',
      'no route',
      'user bob joined 2 rooms',
    ]);
  });

  it('reads nothing when there is no file, or with POMELO_LOGGER=off', async () => {
    const base = temporaryFolder();
    expect(await readLog4jsConfig('development', { base, serverId: 's', environment: {} })).toBeUndefined();
    mkdirSync(join(base, 'config'));
    writeFileSync(join(base, 'config', 'log4js.json'), JSON.stringify(TEMPLATE));
    expect(
      await readLog4jsConfig('development', { base, serverId: 's', environment: { POMELO_LOGGER: 'off' } }),
    ).toBeUndefined();
  });
});

describe("pomelo-logger's shape", () => {
  it('formats like log4js, binds the file, writes an error with its stack, and tells its levels', () => {
    const base = temporaryFolder();
    const file = join(base, 'server.log');
    setRootLogger(
      createLogger({ serverId: 'gate-1', serverType: 'gate', stream: nowhere(), file, level: 'info' }),
    );
    const logger = getPomeloLogger('con-log', '/elsewhere/gateHandler.js', 'extra');
    expect(logger.category).toBe('con-log');
    logger.debug('not written');
    logger.info('plain', 'words', 3, { a: 1 });
    logger.warn('%s has %d items: %j', 'bag', 2, [1, 2]);
    logger.error('failed:', new TypeError('boom'));
    logger.log('WARN', 'by name');
    expect(logger.isLevelEnabled('DEBUG')).toBe(false);
    expect(logger.isLevelEnabled('info')).toBe(true);
    expect(logger.isDebugEnabled()).toBe(false);
    expect(logger.isErrorEnabled()).toBe(true);
    expect(logger.isLevelEnabled('nonsense')).toBe(false);
    const lines = readLines(file);
    expect(lines.map((line) => line['msg'])).toEqual([
      'plain words 3 { a: 1 }',
      'bag has 2 items: [1,2]',
      'failed: TypeError: boom',
      'by name',
    ]);
    expect(lines[0]).toMatchObject({
      category: 'con-log',
      file: expect.stringContaining('gateHandler.js'),
      prefix: 'extra',
    });
    expect(lines[2]?.['err']).toMatchObject({
      type: 'TypeError',
      message: 'boom',
      stack: expect.stringContaining('TypeError: boom'),
    });
  });

  it('replaceConsole sends console.log and friends through the logger, until restored', () => {
    const base = temporaryFolder();
    const file = join(base, 'server.log');
    setRootLogger(createLogger({ serverId: 'gate-1', serverType: 'gate', stream: nowhere(), file }));
    const restore = replaceConsole();
    try {
      console.log('hello %s', 'world');
      console.error('bad', 1);
    } finally {
      restore();
    }
    expect(readLines(file)).toEqual([
      expect.objectContaining({ category: 'console', level: 30, msg: 'hello world' }),
      expect.objectContaining({ category: 'console', level: 50, msg: 'bad 1' }),
    ]);
  });
});
