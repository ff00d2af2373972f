/**
 * Child process of the `nats` target: a Shaddock `RpcServer` serving `echo.echoRemote.echo(arg)`
 * over the NATS link (arguments: the NATS port on 127.0.0.1, the cluster name). Answers `stats`
 * with the calls served so far.
 */
import { serveOrchestrator } from './child.js';
import { SERVER_ID } from './messages.js';
import { natsLinkFromArguments } from './nats-link.js';
import { startEchoServer } from './shaddock-roles.js';

await serveOrchestrator(() => startEchoServer(natsLinkFromArguments(SERVER_ID)));
