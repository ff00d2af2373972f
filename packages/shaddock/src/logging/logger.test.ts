import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, getLogger, isLogLevel, logFilePath, setRootLogger } from './index.js';
import { describeLoggerContract } from './testing.js';

describeLoggerContract('pino (createLogger)', (options) => createLogger(options));

describeLoggerContract('getLogger, forwarding to the root logger', (options) => {
  setRootLogger(createLogger(options));
  return getLogger('contract');
});

/** A stream keeping what is written to it, and its JSON lines. */
function sink(): { stream: Writable; lines(): Array<Record<string, unknown>> } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      text += String(chunk);
      callback();
    },
  });
  return { stream, lines: () => parseLines(text) };
}

function parseLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const identity = { serverId: 'connector-server-1', serverType: 'connector' } as const;

describe('createLogger', () => {
  const folders: string[] = [];
  const temporaryFolder = (): string => {
    const folder = mkdtempSync(join(tmpdir(), 'shaddock-logging-'));
    folders.push(folder);
    return folder;
  };
  afterEach(() => {
    vi.unstubAllEnvs();
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });

  it('also writes every line to a file, creating its folder', () => {
    const file = join(temporaryFolder(), 'logs', 'nested', 'connector-server-1.log');
    const { stream, lines } = sink();
    const logger = createLogger({ ...identity, stream, file });
    logger.info({ port: 3050 }, 'listening');
    logger.child({ category: 'session' }).warn('kicked');
    // Written synchronously: the file holds the lines as soon as the calls return.
    const written = parseLines(readFileSync(file, 'utf8'));
    expect(written).toEqual(lines());
    expect(written.map((line) => line['msg'])).toEqual(['listening', 'kicked']);
    expect(written[1]).toMatchObject({ ...identity, category: 'session' });
  });

  it('appends to an existing file', () => {
    const file = join(temporaryFolder(), 'server.log');
    createLogger({ ...identity, stream: sink().stream, file }).info('first run');
    createLogger({ ...identity, stream: sink().stream, file }).info('second run');
    expect(parseLines(readFileSync(file, 'utf8')).map((line) => line['msg'])).toEqual([
      'first run',
      'second run',
    ]);
  });

  it('writes no file with file: false', () => {
    const folder = temporaryFolder();
    const { stream, lines } = sink();
    createLogger({ ...identity, stream, file: false }).info('only here');
    expect(lines()).toHaveLength(1);
    expect(() => readFileSync(join(folder, 'logs', 'connector-server-1.log'))).toThrow();
  });

  it('drops pid and hostname', () => {
    const { stream, lines } = sink();
    createLogger({ ...identity, stream }).info('short');
    expect(Object.keys(lines()[0] ?? {}).sort()).toEqual(['level', 'msg', 'serverId', 'serverType', 'time']);
  });

  it('takes its level from SHADDOCK_LOG_LEVEL when none is given, and prefers the option', () => {
    vi.stubEnv('SHADDOCK_LOG_LEVEL', 'debug');
    expect(createLogger({ ...identity, stream: sink().stream }).level).toBe('debug');
    expect(createLogger({ ...identity, stream: sink().stream, level: 'error' }).level).toBe('error');
  });

  it('logs at info, with a warning, when SHADDOCK_LOG_LEVEL is not a level', () => {
    vi.stubEnv('SHADDOCK_LOG_LEVEL', 'verbose');
    const { stream, lines } = sink();
    const logger = createLogger({ ...identity, stream });
    expect(logger.level).toBe('info');
    expect(lines()).toEqual([expect.objectContaining({ level: 40, SHADDOCK_LOG_LEVEL: 'verbose' })]);
  });
});

describe('logFilePath', () => {
  it('is <base>/logs/<serverId>.log by default, another folder when given, none when false', () => {
    expect(logFilePath('/srv/game', 'chat-server-1')).toBe(join('/srv/game', 'logs', 'chat-server-1.log'));
    expect(logFilePath('/srv/game', 'chat-server-1', 'var/log')).toBe(
      join('/srv/game', 'var', 'log', 'chat-server-1.log'),
    );
    expect(logFilePath('/srv/game', 'chat-server-1', false)).toBe(false);
  });

  it('keeps a server id from naming a path elsewhere', () => {
    expect(logFilePath('/srv/game', '../../etc/passwd')).toBe(
      join('/srv/game', 'logs', '.._.._etc_passwd.log'),
    );
  });
});

describe('isLogLevel', () => {
  it('accepts the levels and silent, nothing else', () => {
    for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
      expect(isLogLevel(level)).toBe(true);
    for (const value of ['verbose', 'INFO', '', 30, undefined, 'toString'])
      expect(isLogLevel(value)).toBe(false);
  });
});
