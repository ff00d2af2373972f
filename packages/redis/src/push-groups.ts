import type { ChannelService, PushReceiver } from 'shaddock';

/** A push's body: what `ChannelService.pushMessageByUids` takes (a JSON object). */
export type PushBody = Parameters<ChannelService['pushMessageByUids']>[1];

/**
 * Pushes `route` with `body` to explicit groups of uids by frontend, through the app's channel
 * service: ONE `channelRemote.pushMessage` per frontend with its uid list (a direct call on this
 * process's own frontend), so each frontend encodes the message once. Resolves to the uids that got
 * nothing on a frontend, once per frontend that failed them; never rejects.
 */
export function pushToGroups(
  channelService: ChannelService,
  route: string,
  body: PushBody,
  groups: ReadonlyMap<string, readonly string[]>,
): Promise<string[]> {
  // ChannelService has no public "push to these groups" yet: receivers are regrouped by it, in one pass
  const receivers: PushReceiver[] = [];
  for (const [frontendId, uids] of groups) for (const uid of uids) receivers.push({ uid, frontendId });
  if (receivers.length === 0) return Promise.resolve([]);
  return channelService.pushMessageByUids(route, body, receivers);
}
