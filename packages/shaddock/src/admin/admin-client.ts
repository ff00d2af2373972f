import type { AdminUser } from '../config/index.js';
import { ErrorCode, ShaddockError } from '../errors.js';
import type { ServerInfo } from '../membership/index.js';
import {
  connectFramed,
  type FramedSocket,
  NONCE_LENGTH,
  newNonce,
  proofMatches,
} from '../transport/index.js';
import { AdminProofPurpose, acceptableCost, adminProof, deriveAdminKey } from './admin-key.js';
import type {
  AdminCommandMap,
  AdminCommandName,
  AdminReply,
  AdminRequest,
  LoginChallenge,
  ServerRow,
} from './protocol.js';

type AdminPasswordKey = NonNullable<AdminUser['passwordKey']>;

/** Who is asking: a user and its password, or the `passwordKey` stored for it (the key derived from the password). */
export type AdminCredentials =
  | { readonly username: string; readonly password: string }
  | { readonly username: string; readonly passwordKey: AdminPasswordKey };

/** Where the master is, and who is asking. */
export type AdminClientOptions = AdminCredentials & {
  readonly host: string;
  readonly port: number;
  /** Milliseconds allowed to connect and log in (default 10 000). */
  readonly timeout?: number;
};

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

interface Connection {
  readonly pending: Map<number, Pending>;
  /** Set once the connection is gone; later requests fail with it at once. */
  lost: ShaddockError | undefined;
}

const knownCodes = new Set<string>(Object.values(ErrorCode));

// Replies are small, but a list of thousands of servers still fits.
const MAX_REPLY_FRAME = 16 * 1024 * 1024;

/** The key to prove with: derived from the password with the master's salt, or the stored one (same salt and cost). */
async function keyFor(credentials: AdminCredentials, challenge: LoginChallenge): Promise<string> {
  const cost = { N: challenge.N, r: challenge.r, p: challenge.p };
  if (challenge.kdf !== 'scrypt' || typeof challenge.salt !== 'string' || !acceptableCost(cost)) {
    throw new ShaddockError(
      ErrorCode.AdminUnauthorized,
      'the master asked for a key derivation this client does not do',
    );
  }
  if ('password' in credentials) return deriveAdminKey(credentials.password, challenge.salt, cost);
  const stored = credentials.passwordKey;
  if (stored.salt !== challenge.salt || stored.N !== cost.N || stored.r !== cost.r || stored.p !== cost.p) {
    throw new ShaddockError(
      ErrorCode.AdminUnauthorized,
      `the master keeps another key for ${credentials.username} than the passwordKey given: log in with the password`,
    );
  }
  return stored.key;
}

function errorFrom(code: string, message: string): ShaddockError {
  return new ShaddockError(
    knownCodes.has(code) ? (code as ErrorCode) : ErrorCode.AdminCommandFailed,
    message,
  );
}

function isReply(message: unknown): message is AdminReply {
  return (
    typeof message === 'object' &&
    message !== null &&
    typeof (message as { type?: unknown }).type === 'string'
  );
}

/**
 * A connection to the master's admin port, one method per admin command. Failures are
 * {@link ShaddockError}s carrying the master's code.
 *
 * @example
 * const admin = await AdminClient.connect({ host: '127.0.0.1', port: 3005, username: 'admin', password: 's3cret' });
 * try {
 *   console.table(await admin.list());
 * } finally {
 *   await admin.close();
 * }
 */
export class AdminClient {
  readonly #socket: FramedSocket;
  readonly #connection: Connection;
  #nextRequestId = 1;

  private constructor(socket: FramedSocket, connection: Connection) {
    this.#socket = socket;
    this.#connection = connection;
  }

  /**
   * Connects and logs in (challenge-response: no password on the wire, and the master proves it
   * knows the user's key too); rejects with `AdminUnauthorized` when the master refuses.
   */
  static async connect(options: AdminClientOptions): Promise<AdminClient> {
    const { host, port, username, timeout = 10_000 } = options;
    const connection: Connection = { pending: new Map(), lost: undefined };
    const { pending } = connection;
    let login: Pending | undefined;
    const loggedIn = new Promise<unknown>((resolve, reject) => {
      login = { resolve, reject };
    });
    const unauthorized = (message: string): void =>
      login?.reject(new ShaddockError(ErrorCode.AdminUnauthorized, message));
    let masterNonce: Uint8Array | undefined;
    const clientNonce = newNonce();
    let key: string | undefined;
    let socket: FramedSocket | undefined;

    const answer = async (challenge: LoginChallenge): Promise<void> => {
      if (masterNonce === undefined) throw new Error('a challenge before the hello');
      key = await keyFor(options, challenge);
      const proof = adminProof(key, AdminProofPurpose.Login, masterNonce, clientNonce, username);
      socket?.send({ type: 'auth', nonce: clientNonce, proof } satisfies AdminRequest);
    };
    const onLogin = (message: AdminReply): void => {
      if (message.type === 'hello') {
        if (message.nonce instanceof Uint8Array && message.nonce.length === NONCE_LENGTH)
          masterNonce = message.nonce;
      } else if (message.type === 'challenge') {
        answer(message).catch((error: unknown) =>
          login?.reject(error instanceof Error ? error : new Error(String(error))),
        );
      } else if (message.type === 'auth-ok') {
        const expected =
          key !== undefined && masterNonce !== undefined
            ? adminProof(key, AdminProofPurpose.Master, masterNonce, clientNonce, username)
            : undefined;
        if (expected !== undefined && proofMatches(expected, message.proof)) login?.resolve(undefined);
        else
          unauthorized(
            `${host}:${port} did not prove it knows ${username}'s key: it is not the master configured with that user`,
          );
      } else if (message.type === 'error') {
        login?.reject(errorFrom(message.code, message.message));
      }
    };
    try {
      socket = await connectFramed({
        host,
        port,
        timeout,
        maxFrameLength: MAX_REPLY_FRAME,
        onMessage: (message) => {
          if (!isReply(message)) return;
          if (login !== undefined) {
            onLogin(message);
            return;
          }
          if (message.type !== 'result') return;
          const waiter = pending.get(message.requestId);
          pending.delete(message.requestId);
          if (message.ok) waiter?.resolve(message.result);
          else waiter?.reject(errorFrom(message.code, message.message));
        },
        onClose: (error) => {
          const lost = new ShaddockError(
            ErrorCode.MasterUnreachable,
            `the connection to the master at ${host}:${port} closed${error ? `: ${error.message}` : ''}`,
            { cause: error },
          );
          connection.lost = lost;
          login?.reject(lost);
          for (const waiter of pending.values()) waiter.reject(lost);
          pending.clear();
        },
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ShaddockError(
        ErrorCode.MasterUnreachable,
        `cannot reach the master at ${host}:${port}: ${reason}`,
        {
          cause: error,
        },
      );
    }
    socket.send({ type: 'login', username } satisfies AdminRequest);
    const timer = setTimeout(() => {
      login?.reject(
        new ShaddockError(ErrorCode.MasterUnreachable, `no answer from ${host}:${port} to the login`),
      );
    }, timeout);
    try {
      await loggedIn;
    } catch (error) {
      socket.destroy();
      throw error;
    } finally {
      clearTimeout(timer);
      login = undefined;
    }
    return new AdminClient(socket, connection);
  }

  /** Every server (and the master) with its state, pid, ports, uptime, memory and CPU use. */
  list(): Promise<ServerRow[]> {
    return this.#request('list', {});
  }

  /** Stops these servers gracefully (no auto-restart); with none, the whole cluster and then the master. */
  stop(ids: readonly string[] = [], deadlineMs?: number): Promise<{ stopped: string[] }> {
    const args = deadlineMs === undefined ? { ids: [...ids] } : { ids: [...ids], deadlineMs };
    return this.#request('stop', args);
  }

  /** Kills every server and then the master: SIGKILL with `force`, else SIGTERM. */
  kill(force = false): Promise<{ killed: string[] }> {
    return this.#request('kill', { force });
  }

  /** Starts a new server; resolves once it reported ready. */
  add(server: ServerInfo): Promise<ServerRow> {
    return this.#request('add', { server });
  }

  /** Stops and starts these servers again (none: every running server); resolves once they are ready. */
  restart(ids: readonly string[] = []): Promise<{ restarted: string[] }> {
    return this.#request('restart', { ids: [...ids] });
  }

  /** Starts a known server that is stopped or crashed; resolves once it is ready. */
  /** Adds IPs to (and removes IPs from) every frontend's blacklist; returns the whole list and the frontends told. */
  blacklist(change: {
    add?: string[];
    remove?: string[];
  }): Promise<{ blacklist: string[]; frontends: string[] }> {
    return this.#request('blacklist', change);
  }

  start(id: string): Promise<ServerRow> {
    return this.#request('start', { id });
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    this.#socket.close();
    await this.#socket.closed;
  }

  #request<K extends AdminCommandName>(
    command: K,
    args: AdminCommandMap[K]['args'],
  ): Promise<AdminCommandMap[K]['result']> {
    const requestId = this.#nextRequestId++;
    const { pending, lost } = this.#connection;
    if (lost) return Promise.reject(lost);
    return new Promise((resolve, reject) => {
      pending.set(requestId, { resolve: resolve as (result: unknown) => void, reject });
      this.#socket.send({ type: 'command', requestId, command, args } satisfies AdminRequest);
    });
  }
}
