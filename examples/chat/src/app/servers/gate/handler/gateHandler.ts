import type { Application, HandlerSession } from 'shaddock';
import { ChatCode, type ChatFailure, failure, nameProblem } from '../../../chat-protocol.js';
import { type ConnectorAddress, ConnectorRing } from '../connector-ring.js';

/** `gate.gateHandler.queryEntry`'s body. */
export type QueryEntryRequest = {
  username: string;
  /**
   * Connectors the client failed to reach lately, as the gate handed them out (`{ host, port }`):
   * the gate answers another one. At most {@link MAX_FAILED}.
   */
  failed?: ConnectorAddress[];
};

/** `gate.gateHandler.queryEntry`'s answer: the connector to connect to. */
export type QueryEntryResponse = { code: 200; host: string; port: number } | ChatFailure;

/** The most `failed` connectors one query may list: it bounds the work one query makes. */
const MAX_FAILED = 64;

/**
 * The answer when every connector in membership is one the client failed to reach: 503, as the
 * framework answers when busy, for a client to ask again later.
 */
const NO_CONNECTOR_LEFT = 503;

/**
 * The gate's handler: the one address clients know. It tells each user which connector to use,
 * by a consistent hash of the user name over the connectors in membership, so that a name always
 * lands on the same connector while the connectors stay the same, and users spread evenly over
 * them. Membership is the only source: a connector that died is not handed out once membership
 * has dropped it. Until then (at once under the master, within about a second with NATS), the
 * client says which ones it failed to reach (`failed`), and the gate takes the next one on the
 * ring for it.
 */
export default function gateHandler(app: Application) {
  const connectors = new ConnectorRing(app.membership);
  return {
    async queryEntry(message: QueryEntryRequest, _session: HandlerSession): Promise<QueryEntryResponse> {
      const problem = nameProblem(message.username, 'username') ?? failedProblem(message.failed);
      if (problem !== undefined) return failure(ChatCode.BadRequest, problem);
      const pick = connectors.pick(message.username, message.failed);
      switch (pick.kind) {
        case 'found':
          return { code: 200, host: pick.address.host, port: pick.address.port };
        case 'none-running':
          return failure(ChatCode.NoServer, 'no connector is running');
        case 'none-left':
          return failure(
            NO_CONNECTOR_LEFT,
            `no connector available: the ${pick.running} running are all in "failed"`,
          );
      }
    },
  };
}

/** Why `failed` is not a list of connector addresses, or `undefined` when it is one (or absent). */
function failedProblem(failed: unknown): string | undefined {
  if (failed === undefined) return undefined;
  if (!Array.isArray(failed) || failed.length > MAX_FAILED) {
    return `failed must be a list of at most ${MAX_FAILED} { host, port }`;
  }
  for (const address of failed as unknown[]) {
    const { host, port } = (typeof address === 'object' && address !== null ? address : {}) as {
      host?: unknown;
      port?: unknown;
    };
    if (typeof host !== 'string' || host === '' || !Number.isInteger(port)) {
      return 'each of failed must be { host, port }: a host name and a port number';
    }
  }
  return undefined;
}
