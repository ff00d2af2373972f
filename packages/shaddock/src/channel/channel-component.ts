import type { Component, Kernel } from '../kernel/index.js';
import { ChannelService } from './channel-service.js';
import { type ChannelStore, MemoryChannelStore } from './channel-store.js';
import {
  type BroadcastFilter,
  createChannelRemote,
  FrontendPusher,
  type PushConnector,
  type PushSessionService,
} from './frontend-push.js';

declare module '../kernel/index.js' {
  interface Services {
    /** Channels and pushes (every server but the master). */
    channelService: ChannelService;
    /** Where channel membership is recorded: the `channelStore` driver (default {@link MemoryChannelStore}). */
    channelStore: ChannelStore;
  }
}

/**
 * The channel component: provides `channelService` (over the `channelStore` service) as soon as
 * it is made, and on frontends
 * registers the system remote `channelRemote` (over the `connector` and `sessionService`
 * services, looked up at the first push, so they may start after this component).
 *
 * @example
 * app.load(channelComponent);
 * const room = app.services.get('channelService').createChannel('room-1');
 */
export function channelComponent(app: Kernel): Component {
  const frontend = app.isFrontend()
    ? new FrontendPusher({
        // typed as what pushes need: tsc checks that the connector and session services fit
        connector: (): PushConnector => app.services.get('connector'),
        sessionService: (): PushSessionService => app.services.get('sessionService'),
        broadcastFilter: () => {
          const filter = app.get<BroadcastFilter>('broadcastFilter');
          return typeof filter === 'function' ? filter : undefined;
        },
      })
    : undefined;
  // createApp provides the chosen store; an application made without it (tests) gets the default
  if (!app.services.has('channelStore')) app.services.provide('channelStore', new MemoryChannelStore());
  const service = new ChannelService({
    serverId: app.serverId,
    membership: app.membership,
    rpcClient: () => app.services.get('rpcClient'),
    local: frontend,
    store: app.services.get('channelStore'),
    logger: app.logger.child({ category: 'channel' }),
  });
  app.services.provide('channelService', service);
  return {
    name: 'channel',
    start() {
      if (frontend === undefined) return;
      app.services
        .get('remoteRegistry')
        .registerSystemRemote(app.serverType, 'channelRemote', createChannelRemote(frontend));
    },
  };
}
