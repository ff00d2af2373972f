import { type AddressInfo, createServer, type Socket } from 'node:net';
import type { Client, ClientEvents, EventSource, JsonObject } from '../../src/index.js';

/** A promise with its settlers, for events a test waits on. */
export function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The payload of the next `name` event. */
export function nextEvent<Name extends keyof ClientEvents>(
  events: EventSource<ClientEvents>,
  name: Name,
): Promise<ClientEvents[Name]> {
  return new Promise((resolve) => events.once(name, resolve));
}

/** The body of the next push on `route`. */
export function nextPush(client: Client, route: string): Promise<JsonObject> {
  return new Promise((resolve) => client.once(route, resolve));
}

/** Every `name` event, recorded in order. */
export function record<Name extends keyof ClientEvents>(
  events: EventSource<ClientEvents>,
  name: Name,
): ClientEvents[Name][] {
  const seen: ClientEvents[Name][] = [];
  events.on(name, (payload) => seen.push(payload));
  return seen;
}

/** Waits `ms` milliseconds: only to let something that must NOT happen have its chance. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A port nothing listens on (it was free a moment ago): connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = await rawServer(() => {});
  await server.close();
  return server.port;
}

/** A plain TCP server on 127.0.0.1 port 0 that hands each socket to `onSocket`; close it in a `finally`. */
export async function rawServer(
  onSocket: (socket: Socket) => void,
): Promise<{ readonly host: '127.0.0.1'; readonly port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {}).on('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
