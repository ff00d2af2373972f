import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, formatLogLine } from './index.js';

// Local time, as the formatter shows it: 03:04:05.006 wherever the test runs.
const time = new Date(2024, 0, 2, 3, 4, 5, 6).getTime();

const line = (fields: Record<string, unknown>): string =>
  JSON.stringify({ level: 30, time, serverId: 'chat-server-1', serverType: 'chat', ...fields });

describe('formatLogLine', () => {
  it('shows time, level, category, message and the other fields', () => {
    expect(
      formatLogLine('chat-server-1', line({ category: 'chat', msg: 'joined', uid: 'bob', rid: 7 })),
    ).toBe('[chat-server-1] 03:04:05.006 INFO  chat: joined uid=bob rid=7');
  });

  it('quotes strings that would be ambiguous and writes other values as JSON', () => {
    expect(
      formatLogLine(
        's',
        line({ level: 40, msg: 'm', text: 'two words', empty: '', ok: true, list: [1, 'a'], none: null }),
      ),
    ).toBe(
      '[s] 03:04:05.006 WARN  m serverId=chat-server-1 text="two words" empty="" ok=true list=[1,"a"] none=null',
    );
  });

  it('writes every level by name, and an unknown one by number', () => {
    const labels = [10, 20, 30, 40, 50, 60, 35].map(
      (level) => formatLogLine('chat-server-1', line({ level, msg: 'm' })).split(' ')[2],
    );
    expect(labels).toEqual(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL', 'L35']);
  });

  it('puts the error code on the line and the stack, indented, on the following lines', () => {
    const err = {
      type: 'Error',
      message: 'boom',
      stack: 'Error: boom\n    at send (file:///app/chat.js:1:2)',
      code: 'E_X',
    };
    expect(
      formatLogLine(
        'chat-server-1',
        line({ level: 50, category: 'handler', msg: 'failed', route: 'chat.a.b', err }),
      ),
    ).toBe(
      [
        '[chat-server-1] 03:04:05.006 ERROR handler: failed route=chat.a.b err.code=E_X',
        '    Error: boom',
        '        at send (file:///app/chat.js:1:2)',
      ].join('\n'),
    );
  });

  it('shows an error without a stack by its message, and a non-object err as a field', () => {
    expect(formatLogLine('s', line({ msg: 'm', serverId: 's', err: { message: 'lost' } }))).toBe(
      '[s] 03:04:05.006 INFO  m\n    lost',
    );
    expect(formatLogLine('s', line({ msg: 'm', serverId: 's', err: 'text' }))).toBe(
      '[s] 03:04:05.006 INFO  m err=text',
    );
  });

  it('reads an ISO time too, and leaves the time out when there is none', () => {
    const iso = new Date(time).toISOString();
    expect(formatLogLine('chat-server-1', line({ time: iso, msg: 'm' }))).toBe(
      '[chat-server-1] 03:04:05.006 INFO  m',
    );
    expect(formatLogLine('chat-server-1', JSON.stringify({ level: 30, msg: 'm' }))).toBe(
      '[chat-server-1] INFO  m',
    );
  });

  it('returns any other line as [serverId] line, unchanged', () => {
    for (const other of [
      'plain text',
      '',
      '{ not json',
      '{"level":30}',
      '[1,2]',
      '{"msg":"no level"}',
      '  {"level":30,"msg":"indented"}',
    ])
      expect(formatLogLine('gate-server-1', other)).toBe(`[gate-server-1] ${other}`);
  });

  it('reads what createLogger writes', () => {
    const written: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        written.push(
          ...String(chunk)
            .split('\n')
            .filter((text) => text !== ''),
        );
        callback();
      },
    });
    const logger = createLogger({ serverId: 'chat-server-1', serverType: 'chat', stream });
    logger.child({ category: 'handler' }).error({ err: new Error('boom'), uid: 'bob' }, 'failed');
    const [first, second, third] = formatLogLine('chat-server-1', written[0] ?? '').split('\n');
    expect(first).toMatch(/^\[chat-server-1\] \d\d:\d\d:\d\d\.\d{3} ERROR handler: failed uid=bob$/);
    expect(second).toBe('    Error: boom');
    expect(third).toMatch(/^ {8}at /);
  });
});
