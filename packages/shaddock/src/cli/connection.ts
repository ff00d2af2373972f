import {
  AdminClient,
  type AdminCredentials,
  DEVELOPMENT_ENV,
  developmentAdminFile,
  findDevelopmentAdmin,
} from '../admin/index.js';
import { type ClusterConfig, loadClusterConfig } from '../config/index.js';
import { ErrorCode, ShaddockError } from '../errors.js';
import { reachableHost } from '../master/index.js';

/** The options every command that talks to the master takes. */
export interface ConnectionOptions {
  dir: string;
  env: string;
  host?: string;
  port?: number;
  username?: string;
  password?: string;
}

const ADMIN_USER_VARIABLE = 'SHADDOCK_ADMIN_USER';

function fromVariable(): { username: string; password: string } | undefined {
  const value = process.env[ADMIN_USER_VARIABLE];
  const colon = value?.indexOf(':') ?? -1;
  if (value === undefined || colon <= 0) return undefined;
  return { username: value.slice(0, colon), password: value.slice(colon + 1) };
}

/**
 * Connects to the master as an admin. The address comes from `--host`/`--port`, else from the
 * app's `config/master.*`; the credentials from `--username`/`--password`, else from
 * `SHADDOCK_ADMIN_USER`, else from the first user of `config/adminUser.*` (or the one named by
 * `--username`; its `password` or its `passwordKey`), else, in development, from the user the
 * master generated in `.shaddock/admin-user.json`. The config is read only when something is missing.
 */
export async function connectAdmin(options: ConnectionOptions): Promise<AdminClient> {
  let config: ClusterConfig | undefined;
  const load = async (): Promise<ClusterConfig> => {
    config ??= await loadClusterConfig({ base: options.dir, env: options.env });
    return config;
  };
  const configured =
    options.host === undefined || options.port === undefined ? (await load()).master : undefined;
  const host = reachableHost(options.host ?? configured?.host ?? '127.0.0.1');
  const port = options.port ?? configured?.port ?? 3005;
  const credentials = await pickCredentials(options, load);
  return AdminClient.connect({ host, port, ...credentials });
}

async function pickCredentials(
  options: ConnectionOptions,
  load: () => Promise<ClusterConfig>,
): Promise<AdminCredentials> {
  const { username, password } = options;
  if (username !== undefined && password !== undefined) return { username, password };
  const variable = fromVariable();
  if (variable && (username === undefined || username === variable.username)) return variable;
  const config = await load();
  const users = config.adminUsers;
  const user = username === undefined ? users[0] : users.find((candidate) => candidate.username === username);
  if (user) {
    if (password !== undefined) return { username: user.username, password };
    if (user.password !== undefined) return { username: user.username, password: user.password };
    if (user.passwordKey !== undefined) return { username: user.username, passwordKey: user.passwordKey };
  }
  if (users.length === 0 && options.env === DEVELOPMENT_ENV) {
    const generated = await findDevelopmentAdmin(config.base);
    if (generated?.password !== undefined && (username === undefined || username === generated.username)) {
      return { username: generated.username, password: password ?? generated.password };
    }
  }
  const development =
    options.env === DEVELOPMENT_ENV
      ? `, or start the master once in development (it writes ${developmentAdminFile(config.base)})`
      : '';
  throw new ShaddockError(
    ErrorCode.CliUsage,
    `no admin credentials${username === undefined ? '' : ` for ${username}`}: pass --username and --password, ` +
      `set ${ADMIN_USER_VARIABLE}=<username>:<password>, or add a user to config/adminUser.json${development}`,
  );
}

/** Runs `action` with an admin connection, closing it afterwards. */
export async function withAdmin<T>(
  options: ConnectionOptions,
  action: (admin: AdminClient) => Promise<T>,
): Promise<T> {
  const admin = await connectAdmin(options);
  try {
    return await action(admin);
  } finally {
    await admin.close();
  }
}
