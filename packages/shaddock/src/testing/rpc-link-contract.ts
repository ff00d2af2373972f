import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  decodePayload,
  type FramedSocket,
  type LinkAddress,
  type LinkListener,
  type PayloadHandlers,
  type RpcLink,
} from '../transport/index.js';
import { waitUntil } from './wait.js';

/** What the RPC link contract suite needs from a driver. */
export interface RpcLinkHarness {
  readonly link: RpcLink;
  /** Ends what the harness opened (the suite closes its own listeners and connections first). */
  close(): Promise<void>;
}

/** What one end of a connection received. */
interface Received {
  readonly messages: unknown[];
  closed: boolean;
  closeError: Error | undefined;
}

function receiver(): Received & PayloadHandlers {
  const received: Received & PayloadHandlers = {
    messages: [],
    closed: false,
    closeError: undefined,
    onPayload(source, start, end) {
      received.messages.push(decodePayload(source, start, end));
    },
    onClose(error) {
      received.closed = true;
      received.closeError = error;
    },
  };
  return received;
}

let nextId = 0;

/**
 * The ONE contract suite of the {@link RpcLink} interface: connections carry frames both ways, in
 * order and whole; closing either end reaches the other; a refused or oversize peer fails alone.
 * Every link (TCP, NATS) passes it.
 *
 * @example
 * describeRpcLinkContract('tcp', async () => ({ link: tcpRpcLink, close: async () => {} }));
 */
export function describeRpcLinkContract(name: string, makeHarness: () => Promise<RpcLinkHarness>): void {
  describe(`RpcLink contract: ${name}`, () => {
    let harness: RpcLinkHarness;
    let listeners: LinkListener[];
    let sockets: FramedSocket[];

    beforeEach(async () => {
      harness = await makeHarness();
      listeners = [];
      sockets = [];
    });

    afterEach(async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all(listeners.map((listener) => listener.close()));
      await harness.close();
    });

    /** A listening server that echoes every frame back, and what each of its connections received. */
    async function echoServer(options: { maxFrameLength?: number } = {}) {
      const accepted: Array<Received & PayloadHandlers> = [];
      const self: LinkAddress = { id: `link-server-${++nextId}`, host: '127.0.0.1', port: 0 };
      const listener = await harness.link.listen(self, options, (socket) => {
        const received = receiver();
        accepted.push(received);
        const onPayload = received.onPayload;
        received.onPayload = (source, start, end) => {
          onPayload(source, start, end);
          socket.send(received.messages.at(-1));
        };
        return received;
      });
      listeners.push(listener);
      return { listener, accepted, address: { ...self, port: listener.port } };
    }

    async function connect(address: LinkAddress, options: { maxFrameLength?: number } = {}) {
      const received = receiver();
      const socket = await harness.link.connect(address, { connectTimeout: 2_000, ...options }, received);
      sockets.push(socket);
      return { socket, received };
    }

    it('carries frames both ways, in order, whole', async () => {
      const server = await echoServer();
      const { socket, received } = await connect(server.address);
      const sent = Array.from({ length: 1_000 }, (_, index) => [index, `call ${index}`, { n: index }]);
      for (const message of sent) socket.send(message);
      await waitUntil(() => received.messages.length === sent.length, 5_000, 'every echo arrives');
      expect(received.messages).toEqual(sent);
      expect(server.accepted[0]?.messages).toEqual(sent);
    });

    it('carries a frame written in place, and a 1 MiB frame', async () => {
      const server = await echoServer();
      const { socket, received } = await connect(server.address);
      socket.sendEncoded(
        (writer, id: number, text: string) => {
          writer.array(2);
          writer.uint(id);
          writer.value(text);
        },
        7,
        'in place',
      );
      const large = 'x'.repeat(1024 * 1024);
      socket.send({ large });
      await waitUntil(() => received.messages.length === 2, 5_000, 'both echoes arrive');
      expect(received.messages).toEqual([[7, 'in place'], { large }]);
    });

    it('drops no frame and sends no partial one when an in-place encoder throws', async () => {
      const server = await echoServer();
      const { socket, received } = await connect(server.address);
      socket.send('before');
      expect(() =>
        socket.sendEncoded(
          (writer) => {
            writer.array(3);
            throw new Error('cannot encode');
          },
          0,
          0,
        ),
      ).toThrow('cannot encode');
      socket.send('after');
      await waitUntil(() => received.messages.length === 2, 5_000, 'both echoes arrive');
      expect(received.messages).toEqual(['before', 'after']);
    });

    it('keeps two connections to one server apart', async () => {
      const server = await echoServer();
      const one = await connect(server.address);
      const two = await connect(server.address);
      one.socket.send('one');
      two.socket.send('two');
      await waitUntil(
        () => one.received.messages.length === 1 && two.received.messages.length === 1,
        5_000,
        'each echo arrives',
      );
      expect(one.received.messages).toEqual(['one']);
      expect(two.received.messages).toEqual(['two']);
      expect(server.listener.sockets.size).toBe(2);
    });

    it('rejects a connection to a server nobody serves', async () => {
      const server = await echoServer();
      const address = server.address;
      await server.listener.close();
      listeners = [];
      const started = Date.now();
      await expect(connect(address)).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(2_500);
    });

    it('tells the server when a client closes, and the client when the server closes', async () => {
      const server = await echoServer();
      const leaving = await connect(server.address);
      leaving.socket.send('hello');
      await waitUntil(() => leaving.received.messages.length === 1, 5_000, 'the echo arrives');
      leaving.socket.close();
      expect(await leaving.socket.closed).toBeUndefined();
      await waitUntil(() => server.accepted[0]?.closed === true, 5_000, 'the server hears the close');

      const staying = await connect(server.address);
      staying.socket.send('hello');
      await waitUntil(() => staying.received.messages.length === 1, 5_000, 'the echo arrives');
      await server.listener.close();
      listeners = [];
      await waitUntil(() => staying.received.closed, 5_000, 'the client hears the server close');
      await staying.socket.closed;
      // a frame on a closed connection goes nowhere, without a throw
      staying.socket.send('too late');
    });

    it('settles closed with the error a connection was destroyed with', async () => {
      const server = await echoServer();
      const { socket } = await connect(server.address);
      const error = new Error('gone for good');
      socket.destroy(error);
      expect(await socket.closed).toBe(error);
      await waitUntil(() => server.accepted[0]?.closed === true, 5_000, 'the server hears the close');
    });

    it('closes only the connection that sends a frame above the limit', async () => {
      const server = await echoServer({ maxFrameLength: 1024 });
      const offender = await connect(server.address);
      const neighbour = await connect(server.address);
      offender.socket.send('y'.repeat(4096));
      await waitUntil(() => offender.received.closed, 5_000, 'the offender is closed');
      neighbour.socket.send('still here');
      await waitUntil(() => neighbour.received.messages.length === 1, 5_000, 'the neighbour is served');
      expect(neighbour.received.messages).toEqual(['still here']);
      expect(offender.received.messages).toEqual([]);
    });

    it('reports what a connection has queued', async () => {
      const server = await echoServer();
      const { socket } = await connect(server.address);
      expect(socket.bufferedAmount).toBeGreaterThanOrEqual(0);
      socket.send('x'.repeat(10_000));
      expect(socket.bufferedAmount).toBeGreaterThan(0);
    });
  });
}
