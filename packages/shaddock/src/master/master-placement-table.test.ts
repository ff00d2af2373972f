import { describe, expect, it } from 'vitest';
import { type ClusterConfig, LOCAL_DRIVER_CONFIG } from '../config/index.js';
import type { ServerInfo } from '../membership/index.js';
import { describePlacementTableContract, waitUntil } from '../testing/index.js';
import { Master } from './master.js';
import { MasterMembership } from './master-membership.js';

/** A master with no server of its own, and servers it admitted, registered and ready. */
async function cluster(ids: readonly string[]) {
  const config: ClusterConfig = {
    env: 'test',
    base: '/nowhere',
    master: { id: 'master', host: '127.0.0.1', port: 0 },
    servers: [],
    adminUsers: [],
    drivers: LOCAL_DRIVER_CONFIG,
  };
  const master = new Master({ config, entry: '/nowhere/app.js', log: () => {} });
  await master.start();
  const members = ids.map((id) => {
    const server: ServerInfo = { id, serverType: 'chat', host: '127.0.0.1', port: 1, frontend: false };
    return new MasterMembership({
      master: { host: '127.0.0.1', port: master.port },
      server,
      token: master.admit(server),
      onStop: async () => {},
      onMasterLost: () => {},
    });
  });
  for (const member of members) {
    await member.start();
    member.ready();
  }
  return {
    members,
    async close() {
      for (const member of members) await member.stop();
      await master.stop(1_000);
    },
  };
}

describePlacementTableContract('the master (the default)', async () => {
  const { members, close } = await cluster(['connector-1', 'connector-2']);
  const [one, other] = members as [MasterMembership, MasterMembership];
  return { tables: [one.placementTable, other.placementTable], close };
});

describe("the master's placement table", () => {
  it('frees the keys of a server as it leaves (even by a crash), and never those of a server still in', async () => {
    const { members, close } = await cluster(['chat-1', 'chat-2', 'connector-1']);
    try {
      const [chat1, chat2, connector] = members as [MasterMembership, MasterMembership, MasterMembership];
      const table = connector.placementTable;
      await table.claim('room', 'lobby', 'chat-1');
      await table.claim('room', 'hall', 'chat-2');
      // a late word about chat-1 while it is still in frees nothing
      expect(await table.releaseServer('chat-1')).toEqual([]);
      expect(await table.owner('room', 'lobby')).toBe('chat-1');
      chat1.crash();
      await waitUntil(() => connector.get('chat-1') === undefined, 5_000, 'chat-1 to leave');
      // the master freed chat-1's keys before it told the others
      expect(await table.ownedBy('chat-1')).toEqual([]);
      expect(await table.claim('room', 'lobby', 'chat-2')).toEqual({
        owner: 'chat-2',
        previousOwner: 'chat-1',
      });
      await chat2.stop();
      await waitUntil(() => connector.get('chat-2') === undefined, 5_000, 'chat-2 to leave');
      expect(await table.claim('room', 'hall', 'chat-9')).toEqual({
        owner: 'chat-9',
        previousOwner: 'chat-2',
      });
    } finally {
      await close();
    }
  });
});
