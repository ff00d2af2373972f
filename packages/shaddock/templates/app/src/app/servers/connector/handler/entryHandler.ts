// The connector's handler: requests routed `connector.entryHandler.<method>` run here, on the
// frontend that holds the client's connection.
import type { Application, HandlerSession } from 'shaddock';
import { ClientFault } from '../../../client-fault.js';

/** What a client sends to `connector.entryHandler.entry`. */
export interface EntryRequest {
  readonly name?: unknown;
}

/** What `connector.entryHandler.entry` answers. */
export interface EntryResponse {
  readonly code: 200;
  readonly greeting: string;
}

/** The entry handler, made once per connector server. */
export default function entryHandler(app: Application) {
  return {
    /** Binds the connection to the player's name, then asks a chat server to greet them. */
    async entry(message: EntryRequest, session: HandlerSession): Promise<EntryResponse> {
      const { name } = message;
      if (typeof name !== 'string' || !/^\w{1,32}$/.test(name))
        throw new ClientFault(400, 'name: 1 to 32 letters, digits or _');
      await session.bind(name);
      // The first argument routes the call: by default a hash of the session's uid picks the chat server.
      const greeting = await app.rpc.chat.chatRemote.greet(session, name);
      return { code: 200, greeting };
    },
  };
}
