import { ErrorCode, ShaddockError } from '../errors.js';
import type { ServerInfo } from '../membership/index.js';
import { connectFramed, type FramedSocket } from '../transport/index.js';
import type { AdminCommandMap, AdminCommandName, AdminReply, AdminRequest, ServerRow } from './protocol.js';

/** Where the master is, and who is asking. */
export interface AdminClientOptions {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  /** Milliseconds allowed to connect and authenticate (default 10 000). */
  readonly timeout?: number;
}

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

  /** Connects and authenticates; rejects with `AdminUnauthorized` when the master refuses. */
  static async connect(options: AdminClientOptions): Promise<AdminClient> {
    const { host, port, username, password, timeout = 10_000 } = options;
    const connection: Connection = { pending: new Map(), lost: undefined };
    const { pending } = connection;
    let authenticated: Pending | undefined;
    const authReply = new Promise<unknown>((resolve, reject) => {
      authenticated = { resolve, reject };
    });
    let socket: FramedSocket;
    try {
      socket = await connectFramed({
        host,
        port,
        timeout,
        onMessage: (message) => {
          if (!isReply(message)) return;
          if (message.type === 'auth-ok') authenticated?.resolve(undefined);
          else if (message.type === 'error') authenticated?.reject(errorFrom(message.code, message.message));
          else {
            const waiter = pending.get(message.requestId);
            pending.delete(message.requestId);
            if (message.ok) waiter?.resolve(message.result);
            else waiter?.reject(errorFrom(message.code, message.message));
          }
        },
        onClose: (error) => {
          const lost = new ShaddockError(
            ErrorCode.MasterUnreachable,
            `the connection to the master at ${host}:${port} closed${error ? `: ${error.message}` : ''}`,
            { cause: error },
          );
          connection.lost = lost;
          authenticated?.reject(lost);
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
    socket.send({ type: 'auth', username, password } satisfies AdminRequest);
    const timer = setTimeout(() => {
      authenticated?.reject(
        new ShaddockError(ErrorCode.MasterUnreachable, `no answer from ${host}:${port} to auth`),
      );
    }, timeout);
    try {
      await authReply;
    } catch (error) {
      socket.destroy();
      throw error;
    } finally {
      clearTimeout(timer);
      authenticated = undefined;
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
