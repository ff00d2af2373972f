/**
 * Child process: a Shaddock `RpcServer` serving `echo.echoRemote.echo(arg)` on the port given as
 * the first argument. Answers `stats` with the calls served so far.
 */
import { RemoteRegistry, RpcServer } from 'shaddock/internal';
import { numberArgument, serveOrchestrator } from './child.js';
import { HOST, METHOD, REMOTE, SERVER_ID, SERVER_TYPE } from './messages.js';

await serveOrchestrator(async () => {
  const port = numberArgument(0, 'port');
  let served = 0;
  const remotes = new RemoteRegistry();
  remotes.registerRemote(SERVER_TYPE, REMOTE, {
    async [METHOD](argument: unknown): Promise<unknown> {
      served++;
      return argument;
    },
  });
  const server = new RpcServer({ host: HOST, port, serverId: SERVER_ID, remotes });
  await server.start();
  return {
    handle: (message) => {
      if (message.kind !== 'stats') throw new Error(`a server does not take ${message.kind}`);
      return { kind: 'stats', served };
    },
    stop: () => server.stop(1_000),
  };
});
