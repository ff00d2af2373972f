import { Writable } from 'node:stream';
import { createLogger, type Logger, type LogLevel } from '../logging/index.js';

/** A logger whose lines a test reads back, parsed. */
export interface RecordingLogger {
  readonly logger: Logger;
  /** Every line written so far, as the JSON objects they are. */
  lines(): Array<Record<string, unknown>>;
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
  const written: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      written.push(
        ...String(chunk)
          .split('\n')
          .filter((line) => line.length > 0),
      );
      done();
    },
  });
  const logger = createLogger({ serverId, serverType, level, file: false, stream });
  return { logger, lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>) };
}
