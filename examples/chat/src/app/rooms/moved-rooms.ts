import type { Application, PlacementMove } from 'shaddock';
import { ROOM } from '../routes.js';
import { chatRpc } from '../rpc.js';

/**
 * What a connector does when the chat server of a room its users are in leaves the cluster (it
 * crashed or was stopped): the framework has placed the room on another chat server (`moved`);
 * this enters those users there again, in one call, and that server tells the whole room
 * (`onRoomMoved`, with everyone in it), so nobody stays in a room that no longer exists. With rooms
 * in Redis the members are still there: entering again changes nothing but the push.
 *
 * @example
 * app.configure('all', 'connector', (app) => app.afterStartup(rejoinMovedRooms));
 */
export function rejoinMovedRooms(app: Application): void {
  app.placement.on('moved', (move) => {
    if (move.kind === ROOM) void rejoin(app, move);
  });
}

async function rejoin(app: Application, { key: rid, from, to }: PlacementMove): Promise<void> {
  const uids: string[] = [];
  app.sessionService.forEachBoundSession((session) => {
    if (session.get('rid') === rid && session.uid !== undefined) uids.push(session.uid);
  });
  if (uids.length === 0) return;
  try {
    const back = await chatRpc(app).chat.chatRemote.rejoin(rid, uids, app.serverId, rid);
    app.logger.info(
      `room "${rid}" moved from ${from} to ${to}: ${back} of ${uids.length} users entered again`,
    );
  } catch (error) {
    app.logger.warn(
      { err: error },
      `room "${rid}" moved from ${from} to ${to}, but its users could not enter again`,
    );
  }
}
