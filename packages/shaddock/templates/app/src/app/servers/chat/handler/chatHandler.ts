// The chat servers' handler: the connector forwards requests routed `chat.chatHandler.<method>`
// here, with a copy of the client's session.
import type { Application, HandlerSession } from 'shaddock';
import { ClientFault } from '../../../client-fault.js';

/** What a client sends to `chat.chatHandler.send`. */
export interface SendRequest {
  readonly text?: unknown;
}

/** What `chat.chatHandler.send` answers. */
export interface SendResponse {
  readonly code: 200;
  readonly from: string;
  readonly text: string;
  readonly server: string;
}

/** The chat handler, made once per chat server. */
export default function chatHandler(app: Application) {
  return {
    /** Answers the message, signed with the sender's name and this server's id. */
    async send(message: SendRequest, session: HandlerSession): Promise<SendResponse> {
      if (session.uid === undefined) throw new ClientFault(401, 'enter first: connector.entryHandler.entry');
      if (typeof message.text !== 'string') throw new ClientFault(400, 'text: a string');
      return { code: 200, from: session.uid, text: message.text, server: app.serverId };
    },
  };
}
