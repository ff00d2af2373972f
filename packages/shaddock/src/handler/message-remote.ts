import type { JsonObject } from '@shaddock/protocol';
import type { SessionData } from '../session/session-data.js';

/** A client message forwarded from a frontend to the backend that runs its handler. */
export interface ForwardedMessage {
  /** The request id; 0 for a notify. */
  readonly id: number;
  readonly route: string;
  readonly body: JsonObject;
}

/** What a forwarded request answers: the session changes travel back with the response. */
export interface ForwardedResponse {
  /** The handler's response (or an error body `{ code, message }`); absent for a notify. */
  readonly response: JsonObject | undefined;
}

/** The system remote every server with handlers offers (`sys.<type>.messageRemote`). */
export interface MessageRemote {
  forwardMessage(message: ForwardedMessage, session: SessionData): Promise<ForwardedResponse>;
}
