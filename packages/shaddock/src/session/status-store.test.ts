import { describe, expect, it } from 'vitest';
import { LocalMembership, type ServerInfo } from '../membership/index.js';
import { RemoteRegistry, type RpcTarget } from '../rpc/index.js';
import { describeStatusStoreContract, testApplication } from '../testing/index.js';
import {
  BackendSessionService,
  MemoryStatusStore,
  type SessionConnection,
  type SessionData,
  type StatusStore,
  sessionComponent,
} from './index.js';

describeStatusStoreContract('memory', () => new MemoryStatusStore());

const connector: ServerInfo = {
  id: 'connector-1',
  serverType: 'connector',
  host: '127.0.0.1',
  frontend: true,
};

function connection(id: number): SessionConnection {
  return { id, remoteAddress: { ip: '127.0.0.1', port: 40_000 + id }, closed: false, kick() {}, close() {} };
}

/** A memory store that says it is shared: what a Redis store looks like to its callers. */
class SharedStore extends MemoryStatusStore {
  override readonly shared = true;
}

describe('sessionComponent and the status store', () => {
  it('records binds, unbinds and closes of the frontend in the statusStore service', async () => {
    const app = testApplication(connector);
    app.services.provide('remoteRegistry', new RemoteRegistry());
    const component = sessionComponent(app);
    await component.start?.();
    const status = app.services.get('statusStore');
    expect(status).toBeInstanceOf(MemoryStatusStore);
    const sessions = app.services.get('sessionService');
    const first = sessions.create(connection(101));
    const second = sessions.create(connection(102));
    sessions.bind(first.id, 'ann');
    sessions.bind(second.id, 'ann');
    expect(await status.lookup('ann')).toEqual([
      { frontendId: 'connector-1', sessionId: first.id },
      { frontendId: 'connector-1', sessionId: second.id },
    ]);
    sessions.unbind(first.id, 'ann');
    expect(await status.lookup('ann')).toEqual([{ frontendId: 'connector-1', sessionId: second.id }]);
    sessions.remove(second.id, 'connection closed');
    expect(await status.lookup('ann')).toEqual([]);
  });

  it('uses the store the app chose, and with a shared one forgets a frontend that leaves', async () => {
    const app = testApplication('chat', { configured: [connector] });
    const store = new SharedStore();
    store.add('ann', 'connector-1', 1);
    store.add('ann', 'connector-2', 1);
    app.services.provide('statusStore', store);
    await app.membership.start();
    const component = sessionComponent(app);
    await component.start?.();
    app.membership.remove('connector-1');
    expect(store.lookup('ann')).toEqual([{ frontendId: 'connector-2', sessionId: 1 }]);
    await component.stop?.(false);
  });
});

describe('BackendSessionService.findByUid', () => {
  function service(statusStore: StatusStore | undefined) {
    const membership = new LocalMembership();
    for (const id of ['connector-1', 'connector-2', 'connector-3']) {
      membership.add({ id, serverType: 'connector', host: '127.0.0.1', port: 1, frontend: true });
    }
    membership.add({ id: 'chat-1', serverType: 'chat', host: '127.0.0.1', port: 1, frontend: false });
    const asked: string[] = [];
    const rpcClient = {
      invoke(frontendId: string, _target: RpcTarget, args: unknown[]): Promise<unknown> {
        asked.push(frontendId);
        const uid = String(args[0]);
        const found: SessionData[] =
          frontendId === 'connector-2' ? [{ id: 4, frontendId, uid, settings: {} }] : [];
        return Promise.resolve(found);
      },
    };
    return {
      asked,
      sessions: new BackendSessionService({
        membership,
        rpcClient,
        ...(statusStore ? { statusStore } : {}),
      }),
    };
  }

  it('asks every frontend when the status store is this process only', async () => {
    const { asked, sessions } = service(new MemoryStatusStore());
    const found = await sessions.findByUid('ann');
    expect(found.map((session) => `${session.frontendId}/${session.id}`)).toEqual(['connector-2/4']);
    expect(asked.sort()).toEqual(['connector-1', 'connector-2', 'connector-3']);
    expect(await sessions.locate('ann')).toEqual([{ frontendId: 'connector-2', sessionId: 4 }]);
  });

  it('asks only the frontends a shared status store names', async () => {
    const store = new SharedStore();
    store.add('ann', 'connector-2', 4);
    store.add('ann', 'connector-9', 1);
    const { asked, sessions } = service(store);
    const found = await sessions.findByUid('ann');
    expect(found.map((session) => `${session.frontendId}/${session.id}`)).toEqual(['connector-2/4']);
    // connector-9 is not in membership: it is not asked
    expect(asked).toEqual(['connector-2']);
    expect(await sessions.findByUid('nobody')).toEqual([]);
    expect(asked).toEqual(['connector-2']);
    expect(await sessions.locate('ann')).toEqual([{ frontendId: 'connector-2', sessionId: 4 }]);
  });
});
