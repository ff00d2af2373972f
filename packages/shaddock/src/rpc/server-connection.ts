import { ErrorCode, ServerUnavailable, ShaddockError } from '../errors.js';
import type { ServerInfo } from '../membership/index.js';
import {
  decodePayload,
  type FramedSocket,
  PayloadReader,
  type PayloadWriter,
  type RpcLink,
} from '../transport/index.js';
import { CallTable, MAX_CALL_ID } from './call-table.js';
import type { CallSettler, PendingCall } from './pending-call.js';
import { isHello, ReplyStatus, refusalError, remoteError } from './protocol.js';

/** How a client reaches one server: the link, connect timeout, frame bound, and what it proves. */
export interface ConnectionSettings {
  readonly link: RpcLink;
  readonly connectTimeout: number;
  readonly maxFrameLength: number | undefined;
  /** The cluster secret. */
  readonly secret: string;
  /** This process's server id, proven to each server. */
  readonly self: string;
}

/**
 * The client's side of its one connection to a server: opened on the first call, shared by
 * every call, reopened on the next call after a drop. Calls made while it connects wait in
 * order and go out together once it is open.
 */
export class ServerConnection {
  readonly serverId: string;
  /** Calls sent or waiting to be sent, by request id. */
  readonly pending = new CallTable<PendingCall>();
  readonly #settler: CallSettler;
  readonly #settings: ConnectionSettings;
  #socket: FramedSocket | undefined;
  #connecting = false;
  #waiting: PendingCall[] = [];
  #nextId = 1;
  #closed = false;
  // this socket's server said hello: it takes route ids
  #routed = false;
  // the route ids this socket's server already keeps
  #declared: boolean[] = [];
  readonly #reader = new PayloadReader();

  constructor(serverId: string, settler: CallSettler, settings: ConnectionSettings) {
    this.serverId = serverId;
    this.#settler = settler;
    this.#settings = settings;
  }

  /** Sends a call (connecting first if needed); `server` is the target's current membership entry. */
  send(call: PendingCall, server: ServerInfo): void {
    const id = this.#nextId;
    this.#nextId = id === MAX_CALL_ID ? 1 : id + 1;
    call.id = id;
    call.connection = this;
    this.pending.set(id, call);
    if (this.#socket) this.#write(this.#socket, call);
    else {
      this.#waiting.push(call);
      if (!this.#connecting) void this.#connect(server);
    }
  }

  /** Fails every call on this connection at once with `error`; the connection stays usable. */
  failAll(error: Error): void {
    this.#waiting = [];
    const calls = this.pending.values();
    this.pending.clear();
    for (const call of calls) this.#settler.settle(call, error);
  }

  /** Fails every call with `error` and drops the socket for good. */
  close(error: Error): void {
    this.#closed = true;
    this.failAll(error);
    this.#socket?.destroy();
    this.#socket = undefined;
  }

  #write(socket: FramedSocket, call: PendingCall): void {
    const routeId = call.route.id;
    try {
      if (!this.#routed || routeId < 0) socket.sendEncoded(writeNamedRequest, call, -1);
      else if (this.#declared[routeId] === true) socket.sendEncoded(writeRoutedRequest, call, routeId);
      else {
        socket.sendEncoded(writeNamedRequest, call, routeId);
        this.#declared[routeId] = true;
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.#settler.settle(
        call,
        new ShaddockError(ErrorCode.RpcProtocol, `arguments could not be encoded: ${reason}`, {
          cause: error,
        }),
      );
    }
  }

  async #connect(server: ServerInfo): Promise<void> {
    this.#connecting = true;
    // before the link can deliver the new server's hello
    this.#routed = false;
    this.#declared = [];
    let socket: FramedSocket;
    try {
      const { link, connectTimeout, maxFrameLength, secret, self } = this.#settings;
      socket = await link.connect(
        server,
        { connectTimeout, secret, self, ...(maxFrameLength === undefined ? {} : { maxFrameLength }) },
        {
          onPayload: (source, start, end) => this.#onPayload(source, start, end),
          onClose: (error) => this.#onClose(socket, error),
        },
      );
    } catch (error) {
      this.#connecting = false;
      const reason = error instanceof Error ? error.message : String(error);
      this.failAll(new ServerUnavailable(this.serverId, `cannot connect: ${reason}`, { cause: error }));
      return;
    }
    this.#connecting = false;
    if (this.#closed) {
      socket.destroy();
      return;
    }
    this.#socket = socket;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const call of waiting) if (!call.settled) this.#write(socket, call);
  }

  #onClose(socket: FramedSocket, error: Error | undefined): void {
    if (this.#socket !== socket) return;
    this.#socket = undefined;
    const reason = error ? `connection lost: ${error.message}` : 'connection closed';
    this.failAll(new ServerUnavailable(this.serverId, reason, error ? { cause: error } : undefined));
  }

  // a result, the common case, is read in place; anything else is decoded whole
  #onPayload(source: Buffer, start: number, end: number): void {
    const reader = this.#reader;
    reader.reset(source, start, end);
    if (reader.arrayLength() === 3) {
      const id = reader.uint();
      if (id > 0 && reader.uint() === ReplyStatus.Ok) {
        const call = this.pending.get(id);
        // a reply for a call that already timed out
        if (call) this.#settler.settle(call, undefined, reader.rest());
        return;
      }
    }
    this.#onReply(decodePayload(source, start, end));
  }

  #onReply(message: unknown): void {
    if (!Array.isArray(message) || typeof message[0] !== 'number') {
      throw new ShaddockError(ErrorCode.RpcProtocol, `malformed reply from ${this.serverId}`);
    }
    if (isHello(message)) {
      this.#routed = true;
      return;
    }
    const call = this.pending.get(message[0]);
    // a reply for a call that already timed out
    if (!call) return;
    const status: unknown = message[1];
    if (status === ReplyStatus.Ok) this.#settler.settle(call, undefined, message[2]);
    else if (status === ReplyStatus.RemoteFailed)
      this.#settler.settle(call, remoteError(this.serverId, message[2], message[3]));
    else if (status === ReplyStatus.Refused)
      this.#settler.settle(call, refusalError(this.serverId, message[2], message[3]));
    else
      throw new ShaddockError(
        ErrorCode.RpcProtocol,
        `reply from ${this.serverId} has unknown status ${String(status)}`,
      );
  }
}

/** `[id, namespace, serverType, remote, method, args]`, and `routeId` last unless it is -1. */
function writeNamedRequest(writer: PayloadWriter, call: PendingCall, routeId: number): void {
  writer.array(routeId < 0 ? 6 : 7);
  writer.uint(call.id);
  writer.raw(call.route.names);
  writer.value(call.args);
  if (routeId >= 0) writer.uint(routeId);
}

/** `[id, routeId, args]`: a target the server already keeps. */
function writeRoutedRequest(writer: PayloadWriter, call: PendingCall, routeId: number): void {
  writer.array(3);
  writer.uint(call.id);
  writer.uint(routeId);
  writer.value(call.args);
}
