import type { JsonObject } from '@shaddock/protocol';
import type { SessionData } from '../session/index.js';

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
  /**
   * Set when the message failed and no `errorHandler` on the backend answered it (for a request,
   * `response` is then its error body): the frontend's `globalErrorHandler`, global after filters
   * and notify log see it.
   */
  readonly error?: { readonly code: number; readonly message: string };
}

/** The system remote every server with handlers offers (`sys.<type>.messageRemote`). */
export interface MessageRemote {
  forwardMessage(message: ForwardedMessage, session: SessionData): Promise<ForwardedResponse>;
}

/**
 * The `messageRemote` of a server: hands each forwarded message to the handler pipeline (anything
 * with `handleForwarded`, the `HandlerPipeline`). Its only method is the remote's only method.
 */
export function createMessageRemote(pipeline: {
  handleForwarded(message: ForwardedMessage, session: SessionData): Promise<ForwardedResponse>;
}): MessageRemote {
  return {
    forwardMessage: (message, session) => pipeline.handleForwarded(message, session),
  };
}
