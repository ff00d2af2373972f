import { EVERYONE, MAX_MESSAGE_LENGTH } from '../app/chat-protocol.js';

/** What the message box asks for: a message to send, or a problem to show. */
export type ParsedInput =
  | { readonly kind: 'send'; readonly target: string; readonly content: string }
  | { readonly kind: 'problem'; readonly problem: string }
  | { readonly kind: 'empty' };

/**
 * Reads the message box: `/w name text` (or `/whisper`, `/msg`) writes privately to `name`;
 * anything else goes to `selected` (`'*'`, the whole room, or the user picked in the list).
 *
 * @example
 * parseInput('/w bob hi there', '*'); // { kind: 'send', target: 'bob', content: 'hi there' }
 */
export function parseInput(text: string, selected: string = EVERYONE): ParsedInput {
  const trimmed = text.trim();
  if (trimmed === '') return { kind: 'empty' };
  let target = selected;
  let content = trimmed;
  const command = /^\/(\S+)(?:\s+(\S+))?(?:\s+([\s\S]*))?$/.exec(trimmed);
  if (command !== null) {
    const [, name = '', user, rest] = command;
    if (!['w', 'whisper', 'msg'].includes(name.toLowerCase())) {
      return { kind: 'problem', problem: `unknown command /${name}: write /w name text` };
    }
    if (user === undefined || rest === undefined || rest.trim() === '') {
      return { kind: 'problem', problem: `write /${name} name text` };
    }
    target = user;
    content = rest.trim();
  }
  if (content.length > MAX_MESSAGE_LENGTH) {
    return { kind: 'problem', problem: `a message holds at most ${MAX_MESSAGE_LENGTH} characters` };
  }
  return { kind: 'send', target, content };
}
