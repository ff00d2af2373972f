import type { JsonObject } from '@shaddock/protocol';
import { ErrorCode, RequestError, ResponseCode } from '../errors.js';

/**
 * The numeric code a failed message answers: the error's own numeric `code` (Pomelo style), a
 * `RequestError`'s `responseCode`, else 500.
 */
export function responseCodeOf(error: unknown): number {
  if (typeof error === 'object' && error !== null) {
    const code: unknown = (error as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    if (error instanceof RequestError) return error.responseCode;
  }
  return ResponseCode.HandlerError;
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The error of a route that names no handler method here. */
export function unknownRoute(route: unknown): RequestError {
  return new RequestError(
    ErrorCode.UnknownRoute,
    ResponseCode.UnknownRoute,
    `no handler for route ${String(route)}`,
  );
}

/** A handler's answer as a response body: nothing, or an object; anything else is a handler bug (500). */
export function checkResponse(result: unknown, route: string): JsonObject | undefined {
  if (result === undefined || result === null) return undefined;
  if (typeof result === 'object' && !Array.isArray(result)) return result as JsonObject;
  throw new RequestError(
    ErrorCode.HandlerFailed,
    ResponseCode.HandlerError,
    `handler ${route} answered ${Array.isArray(result) ? 'an array' : `a ${typeof result}`}, not an object`,
  );
}
