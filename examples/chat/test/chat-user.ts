// What the chat tests do as a user once connected to a connector: enter a room, hear the room.
import type { Client } from '@shaddock/client';
import type { ChatPushes } from '../src/app/chat-protocol.js';
import type { ChatApi } from '../src/web/chat-api.js';

/** A push a chat client receives: its route and body. */
export type Push = {
  [Route in keyof ChatPushes]: { route: Route; body: ChatPushes[Route] };
}[keyof ChatPushes];

/**
 * Enters room `rid` as `name` on `client` (`connector.entryHandler.enter`), keeping every push it
 * receives from then on, in order; fails when refused. Resolves with the room's users and the pushes.
 */
export async function enterAs(
  client: Client<ChatApi>,
  name: string,
  rid: string,
): Promise<{ users: string[]; pushes: Push[] }> {
  const pushes: Push[] = [];
  client.on('onAdd', (body) => pushes.push({ route: 'onAdd', body }));
  client.on('onLeave', (body) => pushes.push({ route: 'onLeave', body }));
  client.on('onChat', (body) => pushes.push({ route: 'onChat', body }));
  client.on('onRoomMoved', (body) => pushes.push({ route: 'onRoomMoved', body }));
  const reply = await client.request('connector.entryHandler.enter', { username: name, rid });
  if (reply.code !== 200) throw new Error(`${name} could not enter ${rid}: ${reply.message}`);
  return { users: reply.users, pushes };
}
