import { ProtocolError } from '../src/errors.js';

/** The code of the ProtocolError `action` throws; any other exception, or none, fails the test. */
export function codeOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof ProtocolError) return error.code;
    throw error;
  }
  throw new Error('expected a ProtocolError');
}
