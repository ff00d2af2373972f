import type { Channel, ChannelService, PushReceiver } from 'shaddock';
import type { ChatPushes } from '../chat-protocol.js';
import type { PushRoute } from './rooms.js';

/**
 * `channel.pushMessage` typed by {@link ChatPushes}: a body that does not match its route is a
 * compile error. Resolves to the uids that got nothing (their frontend is gone); never rejects
 * for delivery.
 */
export function pushToChannel<Route extends PushRoute>(
  room: Channel,
  route: Route,
  body: ChatPushes[Route],
  options?: Parameters<Channel['pushMessage']>[2],
): Promise<string[]> {
  return room.pushMessage(route, body, options);
}

/** `channelService.pushMessageByUids` typed by {@link ChatPushes}. */
export function pushToReceivers<Route extends PushRoute>(
  channels: ChannelService,
  route: Route,
  body: ChatPushes[Route],
  receivers: readonly PushReceiver[],
): Promise<string[]> {
  return channels.pushMessageByUids(route, body, receivers);
}
