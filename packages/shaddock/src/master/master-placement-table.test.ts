import { type ClusterConfig, LOCAL_DRIVER_CONFIG } from '../config/index.js';
import type { ServerInfo } from '../membership/index.js';
import { describePlacementTableContract } from '../testing/index.js';
import { Master } from './master.js';
import { MasterMembership } from './master-membership.js';

/** A master with no server of its own, and two servers it admitted, registered and ready. */
describePlacementTableContract('the master (the default)', async () => {
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
  const members = ['connector-1', 'connector-2'].map((id) => {
    const server: ServerInfo = { id, serverType: 'connector', host: '127.0.0.1', port: 1, frontend: true };
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
  const [one, other] = members as [MasterMembership, MasterMembership];
  return {
    tables: [one.placementTable, other.placementTable],
    async close() {
      for (const member of members) await member.stop();
      await master.stop(1_000);
    },
  };
});
