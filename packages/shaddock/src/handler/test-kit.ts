import type { JsonObject, JsonValue } from '@shaddock/protocol';
import type { Logger, LogLevel } from '../logging/index.js';
import type { ServerInfo } from '../membership/index.js';
import type { Application } from '../server/index.js';
import type { HandlerSession, SessionData } from '../session/index.js';
import {
  recordingLogger as recordingLoggerOf,
  type TestApplication,
  testApplication,
} from '../testing/index.js';
import { HandlerPipeline } from './handler-pipeline.js';

/** For this folder's tests: an application for `current`, not started, with `configured` servers in its config. */
export function testApp(
  current: ServerInfo | string = 'connector',
  options: { base?: string; configured?: ServerInfo[]; env?: string } = {},
): TestApplication {
  return testApplication(current, options);
}

/** For this folder's tests: a session held in memory (what a frontend or backend session offers handlers). */
export function memorySession(data: Partial<SessionData> = {}): HandlerSession {
  const settings: Record<string, JsonValue> = { ...data.settings };
  const session: HandlerSession = {
    id: data.id ?? 1,
    frontendId: data.frontendId ?? 'connector-1',
    // msgpack may carry an absent uid as null
    uid: data.uid ?? undefined,
    get: (key) => settings[key],
    set: (key, value) => {
      settings[key] = value;
    },
    remove: (key) => {
      delete settings[key];
    },
    bind: async () => {},
    unbind: async () => {},
    push: async () => {},
    pushAll: async () => {},
    kick: async () => {},
    export: () => ({
      id: session.id,
      frontendId: session.frontendId,
      uid: session.uid,
      settings: { ...settings },
    }),
  };
  return session;
}

/** A logger that keeps what it writes: the JSON lines, and the same parsed (live arrays). */
export interface RecordingLogger {
  readonly logger: Logger;
  readonly lines: readonly string[];
  readonly records: readonly Record<string, unknown>[];
}

/** For this folder's tests: the testing kit's recording logger at `level` (default debug). */
export function recordingLogger(level: LogLevel = 'debug'): RecordingLogger {
  const { logger, text, records } = recordingLoggerOf(level);
  return { logger, lines: text, records };
}

class BaseHandler {
  async ping(): Promise<JsonObject> {
    return { pong: true };
  }
}

/** For this folder's tests: a handler with every kind of outcome, some methods from its base class. */
export class EntryHandler extends BaseHandler {
  calls = 0;
  async hello(message: JsonObject, session: HandlerSession): Promise<JsonObject> {
    this.calls++;
    return { hello: message['name'] ?? null, uid: session.uid ?? null };
  }
  async quiet(): Promise<void> {}
  async fail(message: JsonObject): Promise<never> {
    const error = new Error('no such room');
    throw message['code'] === undefined ? error : Object.assign(error, { code: message['code'] });
  }
  failSync(): never {
    throw new Error('thrown before any await');
  }
  numberAnswer(): number {
    return 42;
  }
  override toString(): string {
    return 'not a route';
  }
}

/** For this folder's tests: a pipeline with an {@link EntryHandler} as `entryHandler`, sessions made in memory. */
export function pipelineWith(
  app = testApp(),
  logger = recordingLogger(),
): {
  app: Application;
  pipeline: HandlerPipeline;
  handler: EntryHandler;
  logger: RecordingLogger;
} {
  const pipeline = new HandlerPipeline(app, {
    logger: logger.logger,
    createSession: (data) => memorySession(data),
  });
  const handler = new EntryHandler();
  pipeline.registerHandler('entryHandler', handler);
  return { app, pipeline, handler, logger };
}

/** For this folder's tests: a client message (a request unless `id` is 0). */
export const request = (route: string, body: JsonObject = {}, id = 1) => ({ id, route, body });
