/**
 * Child process: a pinus-rpc server (its default transport: the MQTT acceptor) serving
 * `echoRemote.echo(arg)` in namespace `user` on the port given as the first argument. Answers
 * `stats` with the calls served so far.
 */
import { numberArgument, serveOrchestrator } from './child.js';
import { METHOD, REMOTE } from './messages.js';
import { pinusRpc } from './pinus-rpc.js';

await serveOrchestrator(async () => {
  const port = numberArgument(0, 'port');
  let served = 0;
  // the remote is handed over as `services`, the object pinus-loader would build from a remote
  // file (`paths`): the dispatch path is the same, without a CommonJS file on disk
  const echoRemote = {
    async [METHOD](argument: unknown): Promise<unknown> {
      served++;
      return argument;
    },
  };
  const server = pinusRpc.createServer({ port, paths: [], services: { user: { [REMOTE]: echoRemote } } });
  server.start();
  return {
    handle: (message) => {
      if (message.kind !== 'stats') throw new Error(`a server does not take ${message.kind}`);
      return { kind: 'stats', served };
    },
    stop: () => server.stop(true),
  };
});
