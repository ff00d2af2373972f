/**
 * Child process: a Shaddock `RpcClient` calling `echo(arg)` over TCP on the server at the port
 * given as the first argument, with N calls in flight when asked to `run`.
 */
import { numberArgument, serveOrchestrator } from './child.js';
import { startEchoClient } from './shaddock-roles.js';

await serveOrchestrator(() => startEchoClient({ port: numberArgument(0, 'port') }));
