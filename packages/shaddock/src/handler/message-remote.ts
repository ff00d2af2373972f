import type { JsonObject } from '@shaddock/protocol';
import type { SessionData } from '../session/index.js';
import type { ClientMessage } from './client-message.js';

/** What a forwarded request answers: the session changes travel back with the response. */
export interface ForwardedResponse {
  /** The handler's response (or an error body `{ code, message }`); absent for a notify. */
  readonly response: JsonObject | undefined;
  /**
   * Set when the message failed and no `errorHandler` on the backend answered it (for a request,
   * `response` is then this same error body, as the client may read it): the frontend's
   * `globalErrorHandler` and global after filters see it. The backend logged the failure.
   */
  readonly error?: { readonly code: number; readonly message: string };
}

/** The system remote every server with handlers offers (`sys.<type>.messageRemote`). */
export interface MessageRemote {
  forwardMessage(message: ClientMessage, session: SessionData): Promise<ForwardedResponse>;
}

/**
 * The `messageRemote` of a server: hands each forwarded message to the handler pipeline (anything
 * with `handleForwarded`, the `HandlerPipeline`). Its only method is the remote's only method.
 */
export function createMessageRemote(pipeline: {
  handleForwarded(message: ClientMessage, session: SessionData): Promise<ForwardedResponse>;
}): MessageRemote {
  return {
    forwardMessage: (message, session) => pipeline.handleForwarded(message, session),
  };
}
