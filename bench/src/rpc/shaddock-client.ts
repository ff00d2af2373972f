/**
 * Child process: a Shaddock `RpcClient` calling `echo(arg)` on the server at the port given as
 * the first argument, with N calls in flight when asked to `run`.
 */
import { LocalMembership } from 'shaddock';
import { RpcClient } from 'shaddock/internal';
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

type Target = Parameters<RpcClient['invoke']>[1];

await serveOrchestrator(async () => {
  const port = numberArgument(0, 'port');
  const membership = new LocalMembership([
    { id: SERVER_ID, serverType: SERVER_TYPE, host: HOST, port, frontend: false },
  ]);
  const client = new RpcClient({ serverId: CLIENT_ID, membership, timeout: CALL_TIMEOUT_MS });
  const target: Target = { namespace: 'user', serverType: SERVER_TYPE, remote: REMOTE, method: METHOD };
  const invoke: Invoke = (argument, lane) => {
    client.invoke(SERVER_ID, target, [argument]).then(lane.resolved, lane.rejected);
  };
  // one call opens the connection and proves the echo before the orchestrator is told `ready`
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
    stop: () => client.close(),
  };
});
