/**
 * The admin connection on the master's port: authentication against `config/adminUser.json`,
 * the commands (`list`, `stop`, `kill`, `add`, `restart`, `start`), and the client that sends them.
 */
export { AdminClient, type AdminClientOptions } from './admin-client.js';
export { type AdminSessionOptions, createAdminSession } from './admin-session.js';
export { authenticate, HOW_TO_ADD_ADMIN_USER } from './auth.js';
export {
  type AdminCommandMap,
  type AdminCommandName,
  type AdminCommands,
  type AdminReply,
  type AdminRequest,
  adminCommandNames,
  type CpuUsage,
  type ServerRow,
  type ServerState,
} from './protocol.js';
