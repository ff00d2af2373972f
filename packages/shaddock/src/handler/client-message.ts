import type { JsonValue } from '@shaddock/protocol';

/**
 * A message from a client, as the connector hands it to the handlers and as a frontend forwards
 * it to the backend of its route's type (`messageRemote.forwardMessage`): the same three fields
 * on both sides.
 *
 * @example
 * await app.services.get('handlers').handleClientMessage(session, { id: 1, route: 'chat.chatHandler.send', body: { text: 'hi' } });
 */
export interface ClientMessage {
  /** The request id; 0 for a notify, which gets no response. */
  readonly id: number;
  /** `serverType.handler.method`, as the client sent it (not checked yet). */
  readonly route: string;
  /** Any JSON value, as Pomelo accepts (a handler's declared message type is its own contract). */
  readonly body: JsonValue;
}
