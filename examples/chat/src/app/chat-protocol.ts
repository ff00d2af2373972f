/**
 * What the chat's servers and its clients agree on: the answer codes, the push bodies, the name
 * rules, and how a user id is made. Nothing here touches Node, so the web page imports it too.
 */

/** The codes a chat answer carries besides 200: the app's own and those the framework may answer. */
export const ChatCode = {
  Ok: 200,
  /** A missing or malformed field. */
  BadRequest: 400,
  /** A chat message from a session that has not entered a room. */
  NotInRoom: 403,
  /** A private message to someone who is not in the room. */
  NoSuchUser: 404,
  /** The name is taken in that room. */
  NameTaken: 409,
  /** No server of the type the request needs is running. */
  NoServer: 502,
} as const;

/**
 * Every code a failed answer may carry: {@link ChatCode}'s, and the framework's own (unknown
 * route 404, rate limit 429, a handler that threw 500, forwarding failures 502, busy 503, timeout 504).
 */
export type FailureCode = 400 | 403 | 404 | 409 | 429 | 500 | 502 | 503 | 504;

/** A failed answer. `code` is never 200, so `if (reply.code === 200)` narrows a reply to its success. */
export type ChatFailure = { code: FailureCode; message: string };

/** The pushes a chat client receives, by route. */
export type ChatPushes = {
  /** Someone entered the client's room. */
  onAdd: { user: string };
  /** Someone left the client's room (closed the page, lost the connection). */
  onLeave: { user: string };
  /** A message: to the whole room when `target` is `'*'`, else a private one to `target` (its sender gets a copy). */
  onChat: { from: string; target: string; msg: string };
  /**
   * The room's chat server left the cluster (crashed or stopped) and the room was re-created on
   * another one: everyone in it there so far (each connector enters its users again).
   */
  onRoomMoved: { rid: string; users: string[] };
};

/** The longest user or room name, in UTF-16 units. */
export const MAX_NAME_LENGTH = 32;
/** The longest chat message, in UTF-16 units. */
export const MAX_MESSAGE_LENGTH = 500;
/** The `target` of a message to the whole room. */
export const EVERYONE = '*';

const SEPARATOR = '*';

/**
 * Why `value` cannot name a user or a room, or `undefined` when it can: a string of 1 to
 * {@link MAX_NAME_LENGTH} characters, not blank, without `*` (it separates the name from the room
 * in a user id) or control characters.
 */
export function nameProblem(value: unknown, what: 'username' | 'rid'): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return `${what} must be a non-empty string`;
  if (value.length > MAX_NAME_LENGTH) return `${what} must be at most ${MAX_NAME_LENGTH} characters`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses.
  if (value.includes(SEPARATOR) || /[\u0000-\u001f\u007f]/.test(value)) {
    return `${what} must not hold "*" or control characters`;
  }
  return undefined;
}

/** The user id a session is bound to: one name per room, as in Pomelo's chat (`name*room`). */
export function userId(username: string, rid: string): string {
  return `${username}${SEPARATOR}${rid}`;
}

/** The user name of a user id made by {@link userId}. */
export function nameOf(uid: string): string {
  const end = uid.indexOf(SEPARATOR);
  return end < 0 ? uid : uid.slice(0, end);
}

/** A failed answer. */
export function failure(code: FailureCode, message: string): ChatFailure {
  return { code, message };
}
