/**
 * Channels and pushes: named sets of users grouped by frontend (recorded in the `channelStore`
 * driver, memory by default), `pushMessageByUids`,
 * `broadcast`, and the frontend's system remote `channelRemote` that encodes each push once.
 */
export { Channel, type ChannelMember, type ChannelPushOptions } from './channel.js';
export { channelComponent } from './channel-component.js';
export type { BroadcastOptions, ChannelRemote } from './channel-remote.js';
export { ChannelService, type ChannelServiceOptions, type PushReceiver } from './channel-service.js';
export { type ChannelStore, MemoryChannelStore } from './channel-store.js';
export {
  type BroadcastFilter,
  createChannelRemote,
  type FrontendPushContext,
  FrontendPusher,
  type PushConnector,
  type PushSession,
  type PushSessionService,
} from './frontend-push.js';
export type { ChannelLogger } from './push-dispatcher.js';
