/**
 * The admin connection on the master's port: the challenge-response login against
 * `config/adminUser.json` (or the generated development user), failed logins slowed down and
 * locked out per source, the commands (`list`, `stop`, `kill`, `add`, `restart`, `start`,
 * `blacklist`) with the level each needs, and the client that sends them.
 */
export { AdminClient, type AdminClientOptions, type AdminCredentials } from './admin-client.js';
export {
  AdminProofPurpose,
  DEFAULT_SCRYPT_COST,
  deriveAdminKey,
  formatPasswordKey,
  type ScryptCost,
} from './admin-key.js';
export { type AdminSessionOptions, createAdminSession } from './admin-session.js';
export { AdminAuthority, HOW_TO_ADD_ADMIN_USER, type PendingLogin } from './auth.js';
export {
  DEVELOPMENT_ADMIN_FILE,
  DEVELOPMENT_ENV,
  developmentAdminFile,
  ensureDevelopmentAdmin,
  findDevelopmentAdmin,
  readDevelopmentAdmin,
} from './development-user.js';
export { DEFAULT_LOGIN_LIMITS, type GuardedLogin, LoginGuard, type LoginLimits } from './login-guard.js';
export {
  type AdminCommandMap,
  type AdminCommandName,
  type AdminCommands,
  type AdminReply,
  type AdminRequest,
  adminCommandNames,
  COMMAND_MAX_LEVEL,
  type CpuUsage,
  type LoginChallenge,
  levelMayRun,
  type PortHello,
  type ServerRow,
  type ServerState,
} from './protocol.js';
export { type SecurityLog, securityLog } from './security-log.js';
export { serverFromWire, withDiskOnlyFields } from './server-fields.js';
