/**
 * The chat's rooms: in the memory of one chat server each (one machine), or in Redis when the
 * cluster has it (scale-out), behind one {@link Rooms} interface that the chat servers use.
 */
import type { Application } from 'shaddock';
import { GlobalRooms } from './global-rooms.js';
import { LocalRooms } from './local-rooms.js';
import type { Rooms } from './rooms.js';

export { GlobalRooms } from './global-rooms.js';
export { LocalRooms } from './local-rooms.js';
export { rejoinMovedRooms } from './moved-rooms.js';
export type { PushRoute, RoomMember, Rooms } from './rooms.js';

/**
 * Whether this cluster keeps its rooms in Redis: its config (`config/cluster.json`, or
 * `SHADDOCK_REDIS_URL`) names Redis. Then `app.ts` installs the global channel plugin on the chat
 * servers and the connectors, and {@link roomsOf} answers {@link GlobalRooms}.
 */
export function roomsInRedis(app: Application): boolean {
  return app.cluster.drivers.redis !== undefined;
}

const rooms = new WeakMap<Application, Rooms>();

/**
 * This process's rooms, made once: {@link GlobalRooms} when {@link roomsInRedis}, else
 * {@link LocalRooms}. The handler and the remote of a chat server share them.
 *
 * @example
 * const users = await roomsOf(app).join('lobby', 'ann*lobby', 'connector-server-1');
 */
export function roomsOf(app: Application): Rooms {
  let made = rooms.get(app);
  if (made === undefined) {
    made = roomsInRedis(app) ? new GlobalRooms(app) : new LocalRooms(app);
    rooms.set(app, made);
  }
  return made;
}

/**
 * What a connector does as it starts when rooms are in Redis, before it takes clients: takes
 * out of their rooms the users its previous run left there (it holds no connection yet, so every
 * record through it is stale). Nothing with local rooms: they died with their chat server.
 */
export async function forgetPreviousRun(app: Application): Promise<void> {
  const made = roomsOf(app);
  if (!(made instanceof GlobalRooms)) return;
  const removed = await made.forgetFrontend(app.serverId);
  if (removed > 0)
    app.logger.info(`took ${removed} users of a previous run of ${app.serverId} out of their rooms`);
}
