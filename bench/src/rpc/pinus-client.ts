/**
 * Child process: a pinus-rpc client (its default transport: the MQTT mailbox) calling
 * `echo(arg)` through `rpcInvoke` on the server at the port given as the first argument, with N
 * calls in flight when asked to `run`.
 */
import { numberArgument, serveOrchestrator } from './child.js';
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
import { pinusRpc } from './pinus-rpc.js';
import type { PinusClient, PinusRpcMessage } from './pinus-rpc-types.js';

function call(client: PinusClient, argument: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    client.rpcInvoke(SERVER_ID, echoMessage(argument), (error, reply) =>
      error ? reject(error) : resolve(reply),
    );
  });
}

function echoMessage(argument: string): PinusRpcMessage {
  return { namespace: 'user', serverType: SERVER_TYPE, service: REMOTE, method: METHOD, args: [argument] };
}

await serveOrchestrator(async () => {
  const port = numberArgument(0, 'port');
  const client = pinusRpc.createClient({ context: { serverId: CLIENT_ID }, timeout: CALL_TIMEOUT_MS });
  await new Promise<void>((resolve, reject) => client.start((error) => (error ? reject(error) : resolve())));
  client.addServer({ id: SERVER_ID, serverType: SERVER_TYPE, host: HOST, port });
  const invoke: Invoke = (argument, lane) => {
    client.rpcInvoke(SERVER_ID, echoMessage(argument), lane.settled);
  };
  // one call opens the connection and proves the echo before the orchestrator is told `ready`
  const first = ARGUMENTS[0];
  const reply = await call(client, first ?? '');
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
    stop: () => client.stop(true),
  };
});
