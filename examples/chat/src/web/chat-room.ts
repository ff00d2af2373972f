import {
  type Client,
  connect,
  type EndpointFailure,
  fromGate,
  type ReconnectOptions,
  type RequestBody,
  type RequestRoute,
} from '@shaddock/client';
import { ChatCode, type ChatPushes } from '../app/chat-protocol.js';
import type { ChatApi } from './chat-api.js';

/** A server's address as clients use it. */
export type Address = { host: string; port: number };

/** Who enters where. */
export type Login = { username: string; rid: string };

/** How the page is connected: the indicator shows it. */
export type ConnectionStatus = 'connecting' | 'online' | 'reconnecting' | 'offline';

/** What a {@link ChatRoom} tells the page. */
export interface ChatRoomListener {
  status(status: ConnectionStatus, detail: string): void;
  /** Everyone in the room, after entering it (and again after each reconnect). */
  users(users: readonly string[]): void;
  joined(user: string): void;
  left(user: string): void;
  message(message: ChatPushes['onChat']): void;
}

/** A refusal by the chat (a name taken, a bad name, no server), with the server's words. */
export class ChatRefused extends Error {
  override name = 'ChatRefused';
  readonly code: number;

  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

/** Connection options shared by the gate and the connector. */
export type ConnectSettings = { tls?: boolean };

/** The gate's route that names a connector. */
const QUERY_ENTRY = 'gate.gateHandler.queryEntry' satisfies RequestRoute<ChatApi>;

/** `gate.gateHandler.queryEntry`'s body, typed from the gate's handler. */
export type EntryRequest = RequestBody<ChatApi, typeof QUERY_ENTRY>;

/**
 * How long a connector the client failed to reach is named to the gate as failed: longer than
 * membership takes to drop a dead one (at once under the master, about a second with NATS), yet
 * short, so that one restarted at the same address serves again should every other be gone too.
 */
export const FAILED_FOR_MS = 10_000;
/** The most failed connectors named to the gate (the newest): the gate takes up to 64. */
const FAILED_SENT = 16;

/**
 * Reconnect rounds: each asks the gate for a connector and tries it. Together they wait about
 * 40 s (from 0.5 s, doubling up to 5 s, 10 rounds) before the page gives up and offers its
 * Reconnect button.
 */
const RECONNECT: ReconnectOptions = { maxAttempts: 10, initialDelay: 500, maxDelay: 5_000 };

/** Tries to re-enter after a reconnect while the server still holds the lost connection's name. */
const REENTER_ATTEMPTS = 16;
/** The first wait between those tries, doubling up to {@link REENTER_MAX_DELAY_MS}. */
const REENTER_DELAY_MS = 250;
/** Together the waits (about 26 s) outlast the connectors' 20 s silence timeout. */
const REENTER_MAX_DELAY_MS = 2_000;

/**
 * What the page asks the gate: the user's name (the gate hashes it to a connector), and the
 * connectors that failed in the last {@link FAILED_FOR_MS} (the gate answers another one).
 *
 * @example
 * entryRequest('ann', context.failed); // { username: 'ann', failed: [{ host: '127.0.0.1', port: 3051 }] }
 */
export function entryRequest(
  username: string,
  failed: readonly EndpointFailure[] = [],
  now = Date.now(),
): EntryRequest {
  const recent = failed
    .filter((failure) => now - failure.at < FAILED_FOR_MS)
    .slice(-FAILED_SENT)
    .map(({ endpoint }) => ({ host: endpoint.host, port: endpoint.port }));
  return recent.length === 0 ? { username } : { username, failed: recent };
}

/**
 * Asks the gate which connector serves `username`, as the page's resolver does on its first
 * connect: connect, `queryEntry`, close. Rejects with {@link ChatRefused} when the gate refuses,
 * or the client's error.
 */
export async function queryEntry(
  gate: Address,
  username: string,
  settings: ConnectSettings = {},
): Promise<Address> {
  const client = await connect<ChatApi>({ ...gate, ...settings });
  try {
    const reply = await client.request(QUERY_ENTRY, entryRequest(username));
    if (reply.code !== 200) throw new ChatRefused(reply.code, reply.message);
    return { host: reply.host, port: reply.port };
  } finally {
    await client.close();
  }
}

/**
 * One user in one room: the connection to a connector, kept up. The client finds its connector
 * through the gate (`fromGate`), on the first connect and on every reconnect, telling the gate
 * which connectors just failed, so a connector's death is followed by a connection to a live one;
 * the room then enters the user again (the server forgot the lost connection's session).
 *
 * @example
 * const room = await ChatRoom.enter({ host: location.hostname, port: 3014 }, { username: 'ann', rid: 'lobby' }, view);
 * await room.send('*', 'hello');
 */
export class ChatRoom {
  readonly login: Login;
  readonly #client: Client<ChatApi>;
  readonly #listener: ChatRoomListener;
  #closed = false;
  /** Counts connections made and lost: a re-entry stops once it is not the latest one's. */
  #generation = 0;

  private constructor(client: Client<ChatApi>, login: Login, listener: ChatRoomListener) {
    this.#client = client;
    this.login = login;
    this.#listener = listener;
  }

  /**
   * Asks the gate for a connector, connects to it (another one, should it fail) and enters the
   * room. Rejects with {@link ChatRefused} or the client's error.
   */
  static async enter(
    gate: Address,
    login: Login,
    listener: ChatRoomListener,
    settings: ConnectSettings = {},
  ): Promise<ChatRoom> {
    listener.status('connecting', `asking the gate at ${gate.host}:${gate.port} for a connector`);
    const client = await connect<ChatApi>({
      ...settings,
      resolve: fromGate({
        ...gate,
        ...settings,
        route: QUERY_ENTRY,
        body: ({ failed }) => entryRequest(login.username, failed),
      }),
      reconnect: RECONNECT,
    });
    const room = new ChatRoom(client, login, listener);
    room.#listen();
    try {
      await room.#enter();
    } catch (error) {
      room.#closed = true;
      await client.close();
      throw error;
    }
    return room;
  }

  /** The connector this room's connection goes to (the latest one, while reconnecting). */
  get connector(): Address | undefined {
    const endpoint = this.#client.endpoint;
    return endpoint === undefined ? undefined : { host: endpoint.host, port: endpoint.port };
  }

  /** Sends `content` to the room (`target` `'*'`) or to one user. Rejects with {@link ChatRefused} or the client's error. */
  async send(target: string, content: string): Promise<void> {
    const reply = await this.#client.request('chat.chatHandler.send', { target, content });
    if (reply.code !== 200) throw new ChatRefused(reply.code, reply.message);
  }

  /** Leaves: closes the connection (the server takes the user out of the room). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#client.close();
  }

  async #enter(): Promise<void> {
    const reply = await this.#client.request('connector.entryHandler.enter', this.login);
    if (reply.code !== 200) throw new ChatRefused(reply.code, reply.message);
    this.#listener.users(reply.users);
    const { username, rid } = this.login;
    this.#listener.status('online', `${username} in ${rid}, through ${this.#where()}`);
  }

  #listen(): void {
    const client = this.#client;
    const listener = this.#listener;
    const reconnecting = (detail: string): void => {
      if (!this.#closed) listener.status('reconnecting', detail);
    };
    client.on('onAdd', ({ user }) => listener.joined(user));
    client.on('onLeave', ({ user }) => listener.left(user));
    client.on('onChat', (message) => listener.message(message));
    client.on('onRoomMoved', ({ users }) => {
      listener.users(users);
      listener.status('online', `the room's server stopped: ${this.login.rid} lives on another server now`);
    });
    client.events.on('connected', () => this.#generation++);
    client.events.on('disconnected', () => this.#generation++);
    client.events.on('reconnecting', ({ attempt, delay }) => {
      reconnecting(`connection lost: round ${attempt} in ${Math.round(delay / 100) / 10} s`);
    });
    client.events.on('endpoint-failed', ({ endpoint, error }) => {
      reconnecting(`${endpoint.host}:${endpoint.port} failed (${error.message}): trying another`);
    });
    client.events.on('resolve-failed', ({ error }) => reconnecting(error.message));
    client.events.on('reconnected', () => void this.#reenter());
    client.events.on('kick', ({ reason }) => {
      if (!this.#closed) listener.status('offline', `the server closed the connection (${reason})`);
      this.#closed = true;
    });
    client.events.on('closed', ({ error }) => {
      if (!this.#closed) listener.status('offline', error === undefined ? 'closed' : error.message);
      this.#closed = true;
    });
  }

  /** After a reconnect: enters again, waiting while the server still holds the lost connection's name. */
  async #reenter(): Promise<void> {
    const generation = this.#generation;
    const current = (): boolean => !this.#closed && generation === this.#generation;
    for (let attempt = 1; current(); attempt++) {
      this.#listener.status(
        'reconnecting',
        `connected to ${this.#where()}: entering ${this.login.rid} again`,
      );
      try {
        await this.#enter();
        return;
      } catch (error) {
        // The connection dropped again: the next reconnect enters again.
        if (!(error instanceof ChatRefused) || !current()) return;
        if (error.code !== ChatCode.NameTaken || attempt >= REENTER_ATTEMPTS) {
          this.#listener.status('offline', error.message);
          await this.close();
          return;
        }
      }
      const delay = Math.min(REENTER_MAX_DELAY_MS, REENTER_DELAY_MS * 2 ** (attempt - 1));
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  #where(): string {
    const connector = this.connector;
    return connector === undefined ? 'no connector' : `${connector.host}:${connector.port}`;
  }
}
