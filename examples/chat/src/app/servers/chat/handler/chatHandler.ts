import type { Application, HandlerSession, PushReceiver } from 'shaddock';
import {
  ChatCode,
  type ChatFailure,
  EVERYONE,
  failure,
  MAX_MESSAGE_LENGTH,
  nameOf,
  userId,
} from '../../../chat-protocol.js';
import { roomsOf } from '../../../rooms/index.js';

/** `chat.chatHandler.send`'s body: `target` is `'*'` for the whole room, else a user name in it. */
export type SendRequest = { content: string; target: string };

/** `chat.chatHandler.send`'s answer. */
export type SendResponse = { code: 200 } | ChatFailure;

/**
 * The chat servers' handler. A client's `chat.chatHandler.send` reaches the server of its room
 * (the connector forwards it with the session, routed by `roomRoute`), which finds the room's
 * members in its memory or in Redis (`roomsOf`).
 */
export default function chatHandler(app: Application) {
  const rooms = roomsOf(app);
  return {
    async send(message: SendRequest, session: HandlerSession): Promise<SendResponse> {
      const rid = session.get('rid');
      const uid = session.uid;
      if (typeof rid !== 'string' || uid === undefined)
        return failure(ChatCode.NotInRoom, 'enter a room first');
      if ((await rooms.frontendOf(rid, uid)) !== session.frontendId) {
        return failure(ChatCode.NotInRoom, `you are not in room "${rid}"`);
      }
      const { content, target } = message;
      if (typeof content !== 'string' || content.trim() === '' || content.length > MAX_MESSAGE_LENGTH) {
        return failure(ChatCode.BadRequest, `content must be 1 to ${MAX_MESSAGE_LENGTH} characters`);
      }
      if (typeof target !== 'string' || target === '') {
        return failure(ChatCode.BadRequest, `target must be "${EVERYONE}" or a user name`);
      }
      const body = { from: nameOf(uid), target, msg: content };
      if (target === EVERYONE) {
        await rooms.pushToRoom(rid, 'onChat', body);
        return { code: 200 };
      }
      const recipient = userId(target, rid);
      const frontendId = await rooms.frontendOf(rid, recipient);
      if (frontendId === undefined)
        return failure(ChatCode.NoSuchUser, `"${target}" is not in room "${rid}"`);
      // The sender gets a copy, unless it wrote to itself.
      const receivers: PushReceiver[] = [{ uid: recipient, frontendId }];
      if (recipient !== uid) receivers.push({ uid, frontendId: session.frontendId });
      await rooms.pushToUsers('onChat', body, receivers);
      return { code: 200 };
    },
  };
}
