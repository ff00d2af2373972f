/**
 * Child process: a Shaddock `RpcServer` serving `echo.echoRemote.echo(arg)` over TCP on the port
 * given as the first argument. Answers `stats` with the calls served so far.
 */
import { numberArgument, serveOrchestrator } from './child.js';
import { startEchoServer } from './shaddock-roles.js';

await serveOrchestrator(() => startEchoServer({ port: numberArgument(0, 'port') }));
