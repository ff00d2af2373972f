import type { AdminUser } from '../config/index.js';
import { ErrorCode, ShaddockError } from '../errors.js';
import type { FramedHandlers, FramedSocket } from '../transport/index.js';
import { NONCE_LENGTH } from '../transport/index.js';
import { type AdminAuthority, HOW_TO_ADD_ADMIN_USER, type PendingLogin } from './auth.js';
import type { LoginGuard } from './login-guard.js';
import {
  type AdminCommandMap,
  type AdminCommandName,
  type AdminCommands,
  type AdminReply,
  adminCommandNames,
  levelMayRun,
} from './protocol.js';
import { serverFromWire } from './server-fields.js';

/** What an admin session needs from the master. */
export interface AdminSessionOptions {
  readonly socket: FramedSocket;
  /** The nonce of this connection's `hello`, which the login's proofs cover. */
  readonly nonce: Uint8Array;
  readonly authority: AdminAuthority;
  readonly guard: LoginGuard;
  readonly commands: AdminCommands;
  /** Where logins and commands are told (one line each). */
  readonly log?: (line: string) => void;
  /** The client has sent its whole part of the login: the handshake's deadline is over. */
  readonly onProofReceived?: () => void;
}

type Fields = Record<string, unknown>;

// A refused peer that keeps its end open is cut after this long.
const REFUSED_GRACE_MS = 1_000;
// Commands one session may have running at once; more are answered with an error at once.
const MAX_COMMANDS_IN_FLIGHT = 16;
const MAX_USERNAME_LENGTH = 128;

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
    add: () => ({ server: serverFromWire(args['server']) }),
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

function isNonce(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === NONCE_LENGTH;
}

/**
 * Serves one admin connection on the master's port, from the client's first message on (which
 * must be `login`). The login is a challenge-response: the master sends the salt and cost to
 * derive the user's key with, the client proves it knows the key over the connection's nonce and
 * its own, and the master proves it back (see `AdminRequest`); it goes through the
 * {@link LoginGuard} of the master. Anything else, a wrong proof, a locked-out source: answered
 * with {@link ErrorCode.AdminUnauthorized} and the connection closed, nothing run. Then each
 * command runs if the user's level allows it (`levelMayRun`: 1 every command, 2 and above `list`).
 */
export function createAdminSession(options: AdminSessionOptions): FramedHandlers {
  const { socket, nonce, authority, guard, commands, log = () => {} } = options;
  let login: PendingLogin | undefined;
  let user: AdminUser | undefined;
  let checking = false;
  // a frame came while the proof was being checked: a client waits for auth-ok, a replay does not
  let pipelined = false;
  let ended = false;
  let inFlight = 0;

  const fail = (code: ErrorCode, message: string): void => {
    // Frames already received behind this one are still delivered: ignore them (one login per connection).
    ended = true;
    socket.send({ type: 'error', code, message } satisfies AdminReply);
    socket.close();
    setTimeout(() => socket.destroy(), REFUSED_GRACE_MS).unref();
  };
  const refuse = (message: string): void => {
    fail(ErrorCode.AdminUnauthorized, message);
  };

  const begin = (message: Fields): void => {
    const { username } = message;
    if (message['type'] === 'auth' && 'password' in message) {
      refuse('this master takes no password on the wire: log in with a newer shaddock (challenge-response)');
      return;
    }
    if (message['type'] !== 'login' || typeof username !== 'string' || username === '') {
      refuse('log in first: the first message must be { type: "login", username }');
      return;
    }
    if (username.length > MAX_USERNAME_LENGTH) {
      refuse('wrong username or password');
      return;
    }
    if (authority.empty) {
      refuse(`no admin user is configured, so every admin command is refused: ${HOW_TO_ADD_ADMIN_USER}`);
      return;
    }
    login = authority.begin(username);
    socket.send(login.challenge satisfies AdminReply);
  };

  const finish = async (pending: PendingLogin, message: Fields): Promise<void> => {
    const { nonce: clientNonce, proof } = message;
    options.onProofReceived?.();
    if (message['type'] !== 'auth' || !isNonce(clientNonce)) {
      refuse('expected { type: "auth", nonce, proof }');
      return;
    }
    checking = true;
    const outcome = await guard.attempt(socket.remoteAddress, pending.username, () =>
      authority.finish(pending, nonce, clientNonce, proof),
    );
    checking = false;
    if (ended) return;
    if (!outcome.ok) {
      refuse(outcome.reason);
      return;
    }
    if (pipelined) {
      refuse('send commands only after auth-ok');
      return;
    }
    user = outcome.value.user;
    log(`admin: ${user.username} (level ${user.level}) logged in from ${socket.remoteAddress}`);
    socket.send({
      type: 'auth-ok',
      username: user.username,
      level: user.level,
      proof: outcome.value.masterProof,
    } satisfies AdminReply);
  };

  const execute = async (requestId: number, command: AdminCommandName, args: unknown): Promise<void> => {
    inFlight++;
    try {
      if (!user || !levelMayRun(user.level, command)) {
        throw new ShaddockError(
          ErrorCode.AdminUnauthorized,
          `${command} needs an admin user of level 1 (${user?.username} is level ${user?.level}: list only)`,
        );
      }
      log(`admin: ${user.username} runs ${command}`);
      const result = await run(commands, command, args);
      socket.send({ type: 'result', requestId, ok: true, result } satisfies AdminReply);
    } catch (error) {
      const code = error instanceof ShaddockError ? error.code : ErrorCode.AdminCommandFailed;
      const message = error instanceof Error ? error.message : String(error);
      socket.send({ type: 'result', requestId, ok: false, code, message } satisfies AdminReply);
    } finally {
      inFlight--;
    }
  };

  const answer = (requestId: number, message: string): void => {
    socket.send({ type: 'result', requestId, ok: false, code: ErrorCode.AdminCommandFailed, message });
  };

  return {
    onMessage(message: unknown): void {
      if (ended) return;
      if (!isFields(message)) {
        refuse('malformed admin message');
        return;
      }
      if (login === undefined) {
        begin(message);
        return;
      }
      if (user === undefined) {
        if (checking) pipelined = true;
        else void finish(login, message);
        return;
      }
      const { requestId, command, args } = message;
      if (message['type'] !== 'command' || typeof requestId !== 'number') {
        fail(ErrorCode.ControlProtocol, 'expected { type: "command", requestId, command, args }');
        return;
      }
      if (!adminCommandNames.includes(command as AdminCommandName)) {
        answer(
          requestId,
          `unknown admin command ${String(command).slice(0, 64)} (known: ${adminCommandNames.join(', ')})`,
        );
        return;
      }
      if (inFlight >= MAX_COMMANDS_IN_FLIGHT) {
        answer(
          requestId,
          `too many commands in flight on this connection (at most ${MAX_COMMANDS_IN_FLIGHT})`,
        );
        return;
      }
      void execute(requestId, command as AdminCommandName, args);
    },
    onClose(): void {
      ended = true;
    },
  };
}
