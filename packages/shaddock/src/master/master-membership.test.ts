import { type ClusterConfig, LOCAL_DRIVER_CONFIG } from '../config/index.js';
import { describeMembershipContract, type MembershipHarness } from '../testing/index.js';
import { Master } from './master.js';
import { MasterMembership } from './master-membership.js';

/** A master with no server of its own: each member registers as a server it admitted. */
async function masterHarness(): Promise<MembershipHarness> {
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
  return {
    create(server) {
      const token = master.admit(server);
      return new MasterMembership({
        master: { host: '127.0.0.1', port: master.port },
        server,
        token,
        onStop: async () => {},
        onMasterLost: () => {},
      });
    },
    crash(membership) {
      if (!(membership instanceof MasterMembership)) throw new Error('not a master membership');
      membership.crash();
    },
    // the master hears the connection drop: no heartbeat to miss
    failureDetectionMs: 1_000,
    close: () => master.stop(1_000),
  };
}

describeMembershipContract('master registry (the default)', masterHarness);
