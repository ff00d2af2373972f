import type { Application, ChannelMember, HandlerSession } from 'shaddock';
import {
  ChatCode,
  type ChatFailure,
  EVERYONE,
  failure,
  MAX_MESSAGE_LENGTH,
  nameOf,
  userId,
} from '../../../chat-protocol.js';
import { pushToRoom, pushToUsers } from '../room-push.js';

/** `chat.chatHandler.send`'s body: `target` is `'*'` for the whole room, else a user name in it. */
export type SendRequest = { content: string; target: string };

/** `chat.chatHandler.send`'s answer. */
export type SendResponse = { code: 200 } | ChatFailure;

/**
 * The chat servers' handler. A client's `chat.chatHandler.send` reaches the server of its room
 * (the connector forwards it with the session, routed by `roomRoute`), where the room's channel is.
 */
export default function chatHandler(app: Application) {
  return {
    async send(message: SendRequest, session: HandlerSession): Promise<SendResponse> {
      const rid = session.get('rid');
      const uid = session.uid;
      if (typeof rid !== 'string' || uid === undefined)
        return failure(ChatCode.NotInRoom, 'enter a room first');
      const room = app.channelService.getChannel(rid);
      if (room === undefined || room.getMember(uid)?.frontendId !== session.frontendId) {
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
        await pushToRoom(room, 'onChat', body);
        return { code: 200 };
      }
      const recipient = room.getMember(userId(target, rid));
      if (recipient === undefined) return failure(ChatCode.NoSuchUser, `"${target}" is not in room "${rid}"`);
      // The sender gets a copy, unless it wrote to itself.
      const receivers: ChannelMember[] = [recipient];
      if (recipient.uid !== uid) receivers.push({ uid, frontendId: session.frontendId });
      await pushToUsers(app.channelService, 'onChat', body, receivers);
      return { code: 200 };
    },
  };
}
