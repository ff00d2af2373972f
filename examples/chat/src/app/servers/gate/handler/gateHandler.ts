import { type Application, ConsistentHashRouter, type HandlerSession, NoServerForRoute } from 'shaddock';
import { ChatCode, type ChatFailure, failure, nameProblem } from '../../../chat-protocol.js';

/** `gate.gateHandler.queryEntry`'s body. */
export type QueryEntryRequest = { username: string };

/** `gate.gateHandler.queryEntry`'s answer: the connector to connect to. */
export type QueryEntryResponse = { code: 200; host: string; port: number } | ChatFailure;

/**
 * The gate's handler: the one address clients know. It tells each user which connector to use,
 * by a consistent hash of the user name, so that a name always lands on the same connector while
 * the connectors stay the same, and users spread evenly over them.
 */
export default function gateHandler(app: Application) {
  const connectors = new ConsistentHashRouter(app.membership);
  return {
    async queryEntry(message: QueryEntryRequest, _session: HandlerSession): Promise<QueryEntryResponse> {
      const problem = nameProblem(message.username, 'username');
      if (problem !== undefined) return failure(ChatCode.BadRequest, problem);
      let serverId: string;
      try {
        serverId = connectors.routeKey('connector', message.username);
      } catch (error) {
        if (error instanceof NoServerForRoute) return failure(ChatCode.NoServer, 'no connector is running');
        throw error;
      }
      const connector = app.getServerById(serverId);
      if (connector?.clientPort === undefined) {
        return failure(ChatCode.NoServer, `connector ${serverId} has no client port`);
      }
      return { code: 200, host: connector.clientHost ?? connector.host, port: connector.clientPort };
    },
  };
}
