/**
 * The Shaddock ends of the RPC benchmark, whatever link carries their calls: an `RpcServer`
 * serving `echo.echoRemote.echo(arg)` and an `RpcClient` calling it with N calls in flight. The
 * `shaddock` target runs them over the TCP link (the default), the `nats` target over the NATS link.
 */
import { LocalMembership, type RpcLink } from 'shaddock';
import { RemoteRegistry, RpcClient, RpcServer } from 'shaddock/internal';
import type { ChildRole } from './child.js';
import { type Invoke, LoadSession } from './load.js';
import {
  ARGUMENTS,
  CALL_TIMEOUT_MS,
  CLIENT_ID,
  HOST,
  METHOD,
  REMOTE,
  SERVER_ID,
  SERVER_TYPE,
} from './messages.js';

type Target = Parameters<RpcClient['invoke']>[1];

/** How an end reaches the other one. */
export interface EchoEndOptions {
  /** The server's RPC port (TCP; the NATS link does not use it). */
  readonly port: number;
  /** The link; absent: TCP (`tcpRpcLink`). */
  readonly link?: RpcLink;
  /** Releases what the end was given (the NATS link and its connection) once the end has stopped. */
  readonly release?: () => Promise<void>;
}

/** Starts the echo server; its role answers `stats` with the calls served so far. */
export async function startEchoServer(options: EchoEndOptions): Promise<ChildRole> {
  let served = 0;
  const remotes = new RemoteRegistry();
  remotes.registerRemote(SERVER_TYPE, REMOTE, {
    async [METHOD](argument: unknown): Promise<unknown> {
      served++;
      return argument;
    },
  });
  const server = new RpcServer({
    host: HOST,
    port: options.port,
    serverId: SERVER_ID,
    remotes,
    ...(options.link === undefined ? {} : { link: options.link }),
  });
  await server.start();
  return {
    handle: (message) => {
      if (message.kind !== 'stats') throw new Error(`a server does not take ${message.kind}`);
      return { kind: 'stats', served };
    },
    stop: async () => {
      await server.stop(1_000);
      await options.release?.();
    },
  };
}

/**
 * Starts the echo client; one call opens the connection and proves the echo before the role is
 * returned (so before the orchestrator is told `ready`).
 */
export async function startEchoClient(options: EchoEndOptions): Promise<ChildRole> {
  const membership = new LocalMembership([
    { id: SERVER_ID, serverType: SERVER_TYPE, host: HOST, port: options.port, frontend: false },
  ]);
  const client = new RpcClient({
    serverId: CLIENT_ID,
    membership,
    timeout: CALL_TIMEOUT_MS,
    ...(options.link === undefined ? {} : { link: options.link }),
  });
  const target: Target = { namespace: 'user', serverType: SERVER_TYPE, remote: REMOTE, method: METHOD };
  const invoke: Invoke = (argument, lane) => {
    client.invoke(SERVER_ID, target, [argument]).then(lane.resolved, lane.rejected);
  };
  const first = ARGUMENTS[0];
  const reply = await client.invoke(SERVER_ID, target, [first]);
  if (reply !== first) throw new Error(`the first echo returned ${JSON.stringify(reply)}`);
  const session = new LoadSession(invoke);
  return {
    handle: async (message) => {
      if (message.kind !== 'run') throw new Error(`a client does not take ${message.kind}`);
      return {
        kind: 'result',
        result: await session.run(message.inFlight, message.durationMs, message.reset),
      };
    },
    stop: async () => {
      await client.close();
      await options.release?.();
    },
  };
}
