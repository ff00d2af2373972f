/**
 * Child process of the `nats` target: a Shaddock `RpcClient` calling `echo(arg)` over the NATS link
 * (arguments: the NATS port on 127.0.0.1, the cluster name), with N calls in flight when asked to
 * `run`.
 */
import { serveOrchestrator } from './child.js';
import { CLIENT_ID } from './messages.js';
import { natsLinkFromArguments } from './nats-link.js';
import { startEchoClient } from './shaddock-roles.js';

await serveOrchestrator(() => startEchoClient(natsLinkFromArguments(CLIENT_ID)));
