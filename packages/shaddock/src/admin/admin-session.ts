import type { AdminUser } from '../config/index.js';
import { ErrorCode, ShaddockError } from '../errors.js';
import type { ServerInfo } from '../membership/index.js';
import type { FramedHandlers, FramedSocket } from '../transport/index.js';
import { authenticate, HOW_TO_ADD_ADMIN_USER } from './auth.js';
import {
  type AdminCommandMap,
  type AdminCommandName,
  type AdminCommands,
  type AdminReply,
  adminCommandNames,
} from './protocol.js';

/** What an admin session needs from the master. */
export interface AdminSessionOptions {
  readonly socket: FramedSocket;
  readonly users: readonly AdminUser[];
  readonly commands: AdminCommands;
  readonly log?: (line: string) => void;
}

type Fields = Record<string, unknown>;

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string): ShaddockError {
  return new ShaddockError(ErrorCode.AdminCommandFailed, message);
}

function optionalIds(args: Fields): { ids?: string[] } {
  const ids = args['ids'];
  if (ids === undefined || ids === null) return {};
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string'))
    throw invalid('ids must be a list of server ids');
  return ids.length === 0 ? {} : { ids };
}

function serverInfo(value: unknown): ServerInfo {
  if (!isFields(value)) throw invalid('add needs a server: { id, serverType, host, … }');
  for (const field of ['id', 'serverType', 'host'] as const) {
    if (typeof value[field] !== 'string' || value[field] === '')
      throw invalid(`add: the server needs a "${field}"`);
  }
  for (const field of ['port', 'clientPort'] as const) {
    const port = value[field];
    if (
      port !== undefined &&
      (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65_535)
    ) {
      throw invalid(`add: "${field}" must be a port number`);
    }
  }
  const args = value['args'];
  if (args !== undefined && (!Array.isArray(args) || !args.every((arg) => typeof arg === 'string'))) {
    throw invalid('add: "args" must be a list of Node options');
  }
  return { ...value, frontend: value['frontend'] === true } as ServerInfo;
}

function stringList(value: unknown, name: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item !== '')) {
    throw invalid(`blacklist: "${name}" must be a list of IPs or patterns`);
  }
  return value;
}

/** Checks a command's arguments as they came off the wire. */
function parseArgs<K extends AdminCommandName>(command: K, raw: unknown): AdminCommandMap[K]['args'] {
  const args = isFields(raw) ? raw : {};
  const parsed: { [C in AdminCommandName]: () => AdminCommandMap[C]['args'] } = {
    list: () => ({}),
    stop: () => {
      const deadlineMs = args['deadlineMs'];
      if (deadlineMs === undefined || deadlineMs === null) return optionalIds(args);
      if (typeof deadlineMs !== 'number' || !(deadlineMs >= 0))
        throw invalid('deadlineMs must be a number of ms');
      return { ...optionalIds(args), deadlineMs };
    },
    kill: () => ({ force: args['force'] === true }),
    add: () => ({ server: serverInfo(args['server']) }),
    restart: () => optionalIds(args),
    start: () => {
      if (typeof args['id'] !== 'string') throw invalid('start needs a server id');
      return { id: args['id'] };
    },
    blacklist: () => ({ add: stringList(args['add'], 'add'), remove: stringList(args['remove'], 'remove') }),
  };
  return parsed[command]();
}

async function run<K extends AdminCommandName>(
  commands: AdminCommands,
  command: K,
  raw: unknown,
): Promise<AdminCommandMap[K]['result']> {
  const method = commands[command] as (
    args: AdminCommandMap[K]['args'],
  ) => Promise<AdminCommandMap[K]['result']>;
  return method(parseArgs(command, raw));
}

/**
 * Serves one admin connection on the master's port. The first message must be a successful
 * `auth`; anything else is answered with {@link ErrorCode.AdminUnauthorized} and the connection
 * closed. Level-1 users may run every command, other users only `list` (Pomelo's rule).
 */
export function createAdminSession(options: AdminSessionOptions): FramedHandlers {
  const { socket, users, commands, log = () => {} } = options;
  let user: AdminUser | undefined;
  let ended = false;

  const fail = (code: ErrorCode, message: string): void => {
    // Frames already received behind this one are still delivered: ignore them (one auth attempt per connection).
    ended = true;
    socket.send({ type: 'error', code, message } satisfies AdminReply);
    socket.close();
  };
  const refuse = (message: string): void => {
    fail(ErrorCode.AdminUnauthorized, message);
  };

  /** Why this first message does not authenticate anyone, or `undefined` when it does. */
  const authenticateFirst = (message: Fields): string | undefined => {
    if (message['type'] !== 'auth')
      return 'authenticate first: the first message must be { type: "auth", … }';
    if (users.length === 0) {
      return `no admin user is configured, so every admin command is refused: ${HOW_TO_ADD_ADMIN_USER}`;
    }
    const { username, password } = message;
    const found =
      typeof username === 'string' && typeof password === 'string'
        ? authenticate(users, username, password)
        : undefined;
    if (!found) {
      log(`admin: refused ${socket.remoteAddress} (wrong username or password)`);
      return 'wrong username or password';
    }
    user = found;
    socket.send({ type: 'auth-ok', username: found.username, level: found.level } satisfies AdminReply);
    return undefined;
  };

  const execute = async (requestId: number, command: AdminCommandName, args: unknown): Promise<void> => {
    try {
      if (command !== 'list' && user?.level !== 1) {
        throw new ShaddockError(ErrorCode.AdminUnauthorized, `${command} needs an admin user of level 1`);
      }
      log(`admin: ${user?.username} runs ${command}`);
      const result = await run(commands, command, args);
      socket.send({ type: 'result', requestId, ok: true, result } satisfies AdminReply);
    } catch (error) {
      const code = error instanceof ShaddockError ? error.code : ErrorCode.AdminCommandFailed;
      const message = error instanceof Error ? error.message : String(error);
      socket.send({ type: 'result', requestId, ok: false, code, message } satisfies AdminReply);
    }
  };

  return {
    onMessage(message: unknown): void {
      if (ended) return;
      if (user === undefined) {
        const refusal = isFields(message) ? authenticateFirst(message) : 'malformed admin message';
        if (refusal !== undefined) refuse(refusal);
        return;
      }
      const { requestId, command, args } = isFields(message) ? message : {};
      if (!isFields(message) || message['type'] !== 'command' || typeof requestId !== 'number') {
        fail(ErrorCode.ControlProtocol, 'expected { type: "command", requestId, command, args }');
        return;
      }
      if (!adminCommandNames.includes(command as AdminCommandName)) {
        const text = `unknown admin command ${String(command)} (known: ${adminCommandNames.join(', ')})`;
        socket.send({
          type: 'result',
          requestId,
          ok: false,
          code: ErrorCode.AdminCommandFailed,
          message: text,
        });
        return;
      }
      void execute(requestId, command as AdminCommandName, args);
    },
  };
}
