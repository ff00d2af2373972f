/**
 * What the load generator sends and expects, the same for every target: the routes of the chat
 * apps (bench/apps/), the 100-byte bodies of `echo`, and the bodies `send` broadcasts.
 */
import type { JsonObject } from '@shaddock/protocol';
import { ARGUMENT_MASK, ARGUMENTS } from '../rpc/messages.js';

/** The routes of the chat apps (and the raw ws server's dictionary). */
export const ROUTES = {
  enter: 'connector.entryHandler.enter',
  echo: 'chat.chatHandler.echo',
  send: 'chat.chatHandler.send',
  push: 'onChat',
} as const;

/** The size of every `echo` body as JSON, in bytes. */
export const ECHO_BODY_BYTES = 100;

/** One `echo` body: the object sent, and the JSON bytes the reply must hold exactly. */
export interface EchoBody {
  readonly body: JsonObject;
  readonly bytes: Buffer;
}

/**
 * 1024 different `{"d":"…"}` bodies of exactly {@link ECHO_BODY_BYTES} bytes, from the RPC
 * benchmark's arguments (varied, so that a reply delivered to the wrong request shows).
 */
export const ECHO_BODIES: readonly EchoBody[] = ARGUMENTS.map((argument) => {
  const body = { d: argument.slice(0, ECHO_BODY_BYTES - '{"d":""}'.length) };
  const bytes = Buffer.from(JSON.stringify(body));
  if (bytes.length !== ECHO_BODY_BYTES) throw new Error(`an echo body of ${bytes.length} bytes`);
  return { body, bytes };
});

/** `index & ECHO_MASK` picks an echo body. */
export const ECHO_MASK = ARGUMENT_MASK;

/** The text every broadcast carries besides its numbers, as a chat line would. */
const CHAT_TEXT = 'a line of chat from the benchmark';

/**
 * The body of broadcast `seq` of broadcast run `run`, sent at `sentAtUs` (µs on the
 * `process.hrtime` clock of the load generator, which both sends and receives).
 */
export function chatBody(run: number, seq: number, sentAtUs: number): JsonObject {
  return { run, seq, t: sentAtUs, text: CHAT_TEXT };
}

/** Reads `run` and `seq` back from a broadcast body's bytes; `undefined` when they are not there. */
export function readChatBody(bytes: Uint8Array): { run: number; seq: number } | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString());
    if (typeof value !== 'object' || value === null) return undefined;
    const { run, seq } = value as { run?: unknown; seq?: unknown };
    return typeof run === 'number' && typeof seq === 'number' ? { run, seq } : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `bytes` hold exactly `expected`. */
export function sameBytes(bytes: Uint8Array, expected: Uint8Array): boolean {
  return bytes.length === expected.length && Buffer.compare(bytes, expected) === 0;
}
