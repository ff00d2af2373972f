import type { JsonObject } from '@shaddock/protocol';
import type { SessionData, SessionRemote } from './session-data.js';
import type { SessionService } from './session-service.js';

/**
 * The system remote `sessionRemote` over a frontend's sessions: what `BackendSessionService`
 * calls. Refusals throw the `SessionService`'s coded errors, whose codes travel back.
 */
export function createSessionRemote(sessions: SessionService): SessionRemote {
  return {
    async bind(sessionId: number, uid: string): Promise<void> {
      sessions.bind(sessionId, uid);
    },
    async unbind(sessionId: number, uid: string): Promise<void> {
      sessions.unbind(sessionId, uid);
    },
    async push(sessionId: number, settings: JsonObject, removed?: string[]): Promise<void> {
      sessions.import(sessionId, settings, removed);
    },
    async pushAll(sessionId: number, settings: JsonObject): Promise<void> {
      sessions.importAll(sessionId, settings);
    },
    async getSessionById(sessionId: number): Promise<SessionData | null> {
      return sessions.get(sessionId)?.export() ?? null;
    },
    async getSessionsByUid(uid: string): Promise<SessionData[]> {
      return sessions.getByUid(uid).map((session) => session.export());
    },
    async kickBySessionId(sessionId: number, reason: string): Promise<void> {
      sessions.kickBySessionId(sessionId, reason);
    },
    async kickByUid(uid: string, reason: string): Promise<void> {
      sessions.kick(uid, reason);
    },
  };
}
