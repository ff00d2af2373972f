import { type Client, connect } from '@shaddock/client';
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

/** How long to wait between tries to re-enter while the server still holds the lost connection's name. */
const REENTER_DELAY_MS = 2_500;
/** Tries to re-enter after a reconnect: together they outlast the connectors' 20 s silence timeout. */
const REENTER_ATTEMPTS = 12;

/**
 * Asks the gate which connector serves `username`, as Pomelo's chat does: connect, `queryEntry`,
 * close. Rejects with {@link ChatRefused} when the gate refuses, or the client's error.
 */
export async function queryEntry(
  gate: Address,
  username: string,
  settings: ConnectSettings = {},
): Promise<Address> {
  const client = await connect<ChatApi>({ ...gate, ...settings });
  try {
    const reply = await client.request('gate.gateHandler.queryEntry', { username });
    if (reply.code !== 200) throw new ChatRefused(reply.code, reply.message);
    return { host: reply.host, port: reply.port };
  } finally {
    await client.close();
  }
}

/**
 * One user in one room: the connection to its connector, kept up (the client reconnects, and the
 * room re-enters the user after each reconnect: the server forgot the lost connection's session).
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

  private constructor(client: Client<ChatApi>, login: Login, listener: ChatRoomListener) {
    this.#client = client;
    this.login = login;
    this.#listener = listener;
  }

  /** Asks the gate for a connector, connects to it and enters the room. Rejects with {@link ChatRefused} or the client's error. */
  static async enter(
    gate: Address,
    login: Login,
    listener: ChatRoomListener,
    settings: ConnectSettings = {},
  ): Promise<ChatRoom> {
    listener.status('connecting', 'asking the gate for a connector');
    const connector = await queryEntry(gate, login.username, settings);
    listener.status('connecting', `connecting to ${connector.host}:${connector.port}`);
    const client = await connect<ChatApi>({
      ...connector,
      ...settings,
      reconnect: { maxAttempts: 10, initialDelay: 500, maxDelay: 5_000 },
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
    this.#listener.status('online', `${this.login.username} in ${this.login.rid}`);
  }

  #listen(): void {
    const client = this.#client;
    const listener = this.#listener;
    client.on('onAdd', ({ user }) => listener.joined(user));
    client.on('onLeave', ({ user }) => listener.left(user));
    client.on('onChat', (message) => listener.message(message));
    client.events.on('reconnecting', ({ attempt, delay }) => {
      listener.status('reconnecting', `connection lost: try ${attempt} in ${Math.round(delay / 100) / 10} s`);
    });
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
    for (let attempt = 1; !this.#closed; attempt++) {
      this.#listener.status('connecting', 'reconnected: entering the room again');
      try {
        await this.#enter();
        return;
      } catch (error) {
        // The connection dropped again: the next reconnect enters again.
        if (!(error instanceof ChatRefused)) return;
        if (error.code !== ChatCode.NameTaken || attempt >= REENTER_ATTEMPTS) {
          this.#listener.status('offline', error.message);
          await this.close();
          return;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, REENTER_DELAY_MS));
    }
  }
}
