import type { JsonObject, JsonValue } from '@shaddock/protocol';

/** Options of a broadcast to every session of a frontend. */
export interface BroadcastOptions {
  /** Only sessions bound to a user. */
  readonly binded?: boolean;
  /** Passed to the app's `broadcastFilter(session, route, body, filterParam)` setting. */
  readonly filterParam?: JsonValue;
}

/** The system remote every frontend offers (`sys.<frontendType>.channelRemote`): pushes arrive here. */
export interface ChannelRemote {
  /** Encodes once and writes the same bytes to every session of these uids; returns the uids with no session here. */
  pushMessage(route: string, body: JsonObject, uids: string[]): Promise<string[]>;
  broadcast(route: string, body: JsonObject, options: BroadcastOptions): Promise<void>;
}
