import {
  type Application,
  FrontendSession,
  type HandlerSession,
  NoServerForRoute,
  type RpcProxy,
  ServerUnavailable,
} from 'shaddock';
import { ChatCode, type ChatFailure, failure, nameProblem, userId } from '../../../chat-protocol.js';
import { type ChatRemotes, chatRpc } from '../../../rpc.js';

/** `connector.entryHandler.enter`'s body. */
export type EnterRequest = { username: string; rid: string };

/** `connector.entryHandler.enter`'s answer: the names in the room, the newcomer's included. */
export type EnterResponse = { code: 200; users: string[] } | ChatFailure;

/**
 * The connectors' handler. `enter` binds the connection to the user id `name*room`, keeps the
 * room in the session (`rid`, which routes the user's chat requests), and joins the room on its
 * chat server; when the connection closes, the user leaves the room.
 */
export default function entryHandler(app: Application) {
  let rpc: RpcProxy<ChatRemotes> | undefined;
  const rooms = () => {
    rpc ??= chatRpc(app);
    return rpc.chat.chatRemote;
  };
  /** Takes the user out of the room on its chat server. A server that is gone took the room with it: nothing to leave. */
  const leave = (uid: string, rid: string): void => {
    rooms()
      .kick(rid, uid, app.serverId, rid)
      .catch((error: unknown) => {
        if (error instanceof ServerUnavailable || error instanceof NoServerForRoute) return;
        console.warn(`[${app.serverId}] ${uid} could not leave room "${rid}": ${messageOf(error)}`);
      });
  };

  return {
    async enter(message: EnterRequest, session: HandlerSession): Promise<EnterResponse> {
      const problem = nameProblem(message.username, 'username') ?? nameProblem(message.rid, 'rid');
      if (problem !== undefined) return failure(ChatCode.BadRequest, problem);
      if (!(session instanceof FrontendSession)) {
        return failure(ChatCode.BadRequest, 'connector.entryHandler.enter runs on connectors only');
      }
      if (session.uid !== undefined)
        return failure(ChatCode.BadRequest, 'this connection is already in a room');
      const { username, rid } = message;
      const uid = userId(username, rid);
      // Checked and bound in one turn: two connections of this connector cannot both take the name.
      if (app.sessionService.getByUid(uid).length > 0) {
        return failure(ChatCode.NameTaken, `the name "${username}" is taken in room "${rid}"`);
      }
      await session.bind(uid);
      session.set('rid', rid);
      await session.push('rid');
      // The room's chat server has the last word: the name may be taken through another connector.
      let joined: EnterResponse;
      try {
        joined = await rooms().add(rid, uid, app.serverId, rid);
      } catch (error) {
        console.warn(`[${app.serverId}] ${uid} could not join room "${rid}": ${messageOf(error)}`);
        joined = failure(ChatCode.NoServer, `the server of room "${rid}" cannot be reached`);
      }
      if (joined.code !== 200) {
        await undo(session, uid);
        return joined;
      }
      session.onClosed(() => leave(uid, rid));
      return joined;
    },
  };
}

/** Unbinds a session whose user could not join, and forgets its room. */
async function undo(session: FrontendSession, uid: string): Promise<void> {
  if (session.closed) return;
  await session.unbind(uid);
  session.remove('rid');
  await session.push('rid');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
