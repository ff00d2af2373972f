import { Writable } from 'node:stream';
import { createLogger, type Logger, type LogLevel } from '../logging/index.js';

/** A logger whose lines a test reads back, parsed. */
export interface RecordingLogger {
  readonly logger: Logger;
  /** Every line written so far, as the JSON objects they are. */
  lines(): Array<Record<string, unknown>>;
  /** The same lines as written, kept up to date (a live array). */
  readonly text: readonly string[];
  /** The same lines parsed, kept up to date (a live array). */
  readonly records: readonly Record<string, unknown>[];
}

/**
 * The default (pino) logger writing into memory: what a test asserts log lines with.
 *
 * @example
 * const { logger, lines } = recordingLogger();
 * logger.error({ err: new Error('boom') }, 'failed');
 * expect(lines()[0]).toMatchObject({ msg: 'failed' });
 */
export function recordingLogger(
  level: LogLevel = 'trace',
  serverId = 'test-1',
  serverType = 'test',
): RecordingLogger {
  const text: string[] = [];
  const records: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      for (const line of String(chunk).split('\n')) {
        if (line === '') continue;
        text.push(line);
        records.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  const logger = createLogger({ serverId, serverType, level, file: false, stream });
  return { logger, lines: () => [...records], text, records };
}
