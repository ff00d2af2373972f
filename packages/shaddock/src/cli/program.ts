import { randomBytes } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import { formatPasswordKey, type ServerRow } from '../admin/index.js';
import { readProcessIdentity, serverInfoFromIdentity } from '../config/index.js';
import { ErrorCode, ShaddockError } from '../errors.js';
import type { ServerInfo } from '../membership/index.js';
import { type ConnectionOptions, withAdmin } from './connection.js';
import { formatInitResult, initApp } from './init.js';
import type { CliIo } from './io.js';
import { runMasterCommand } from './master.js';
import { runServer } from './server.js';
import { startMaster } from './start.js';
import { formatServerTable } from './table.js';

/** The line under `list` that says which master leads, when the cluster has several (scale-out). */
function leaderLine(rows: readonly ServerRow[]): string {
  const roles = rows.map((row) => ({ id: row.id, role: (row as { role?: unknown }).role }));
  if (!roles.some((row) => row.role !== undefined)) return '';
  const leader = roles.find((row) => row.role === 'leader')?.id ?? 'none';
  const standbys = roles.filter((row) => row.role === 'standby').map((row) => row.id);
  return `leader: ${leader}${standbys.length > 0 ? ` (standby: ${standbys.join(', ')})` : ''}\n`;
}

function port(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number > 65_535)
    throw new InvalidArgumentError('expected a port number (0–65535)');
  return number;
}

function milliseconds(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a number of milliseconds');
  return Number(value);
}

/** `key=value` fields to a server (Pomelo's `add` syntax), checked as `servers.json` entries are. */
export function serverFromFields(fields: readonly string[]): ServerInfo {
  const server = serverInfoFromIdentity(readProcessIdentity(fields, {}));
  if (!server)
    throw new ShaddockError(ErrorCode.CliUsage, 'add needs at least id=…, serverType=… and host=…');
  return server;
}

function withConnection(command: Command, defaultEnv: string): Command {
  return command
    .option('-d, --dir <dir>', 'the app folder, which holds config/', process.cwd())
    .option('-e, --env <env>', 'the environment', defaultEnv)
    .option('--host <host>', "the master's host (default: from config/master.json)")
    .option('--port <port>', "the master's port (default: from config/master.json)", port)
    .option(
      '-u, --username <username>',
      'admin user (default: SHADDOCK_ADMIN_USER, else config/adminUser.json, else in development .shaddock/admin-user.json)',
    )
    .option('-p, --password <password>', "that admin user's password");
}

/**
 * The `shaddock` command. Each action stores its exit code in `result.code`; failures throw and
 * `runCli` reports them.
 */
export function buildProgram(io: CliIo, result: { code: number }): Command {
  const defaultEnv = process.env['NODE_ENV'] || 'development';
  const program = new Command('shaddock')
    .description('Run and manage a Shaddock cluster.')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError();

  program
    .command('init')
    .description('create a new TypeScript app in <dir> (a new or empty folder)')
    .argument('<dir>', 'the folder to create the app in')
    .option('--name <name>', "the app's package name (default: from the folder's name)")
    .option(
      '--registry',
      "depend on the published shaddock packages (default from a checkout: the checkout's own, packed into vendor/)",
    )
    .option('--local', "pack this copy's own shaddock packages into vendor/ (the default from a checkout)")
    .option(
      '--shaddock-version <spec>',
      'the registry version of shaddock and @shaddock/client to depend on (implies --registry; default: ^ and this version)',
    )
    .action(
      async (
        dir: string,
        options: { name?: string; registry?: boolean; local?: boolean; shaddockVersion?: string },
      ) => {
        const { registry, local, ...rest } = options;
        if (registry && local)
          throw new ShaddockError(ErrorCode.CliUsage, 'init: --registry or --local, not both');
        const source = registry ? 'registry' : local ? 'local' : undefined;
        io.out(formatInitResult(await initApp({ dir, ...rest, ...(source ? { source } : {}) })));
      },
    );

  withConnection(program.command('start'), defaultEnv)
    .description(
      'start the master and every server (foreground unless --daemon); with --id, one stopped server',
    )
    .option('-D, --daemon', 'run the master in the background')
    .option('--entry <file>', 'the app entry (default: app.js, else dist/app.js)')
    .option('-i, --id <serverId>', 'ask the running master to start this server')
    .action(async (options: ConnectionOptions & { daemon?: boolean; entry?: string; id?: string }) => {
      if (options.id !== undefined) {
        const id = options.id;
        const row = await withAdmin(options, (admin) => admin.start(id));
        io.out(formatServerTable([row]));
        return;
      }
      result.code = await startMaster(options, io);
    });

  program
    .command('server')
    .description(
      'run one server in this process, without a master (for systemd, Kubernetes or any supervisor)',
    )
    .argument('[fields...]', 'key=value fields describing a server that servers.json does not list')
    .option('-d, --dir <dir>', 'the app folder, which holds config/', process.cwd())
    .option('-e, --env <env>', 'the environment (default: NODE_ENV, else development)')
    .option('-i, --id <serverId>', 'the server id (default: SHADDOCK_SERVER_ID)')
    .option('--entry <file>', 'the app entry (default: app.js, else dist/app.js)')
    .action(async (fields: string[], options: { dir: string; env?: string; id?: string; entry?: string }) => {
      await runServer({ ...options, fields }, process.env);
    });

  program
    .command('master')
    .description(
      'run a master of a scale-out (NATS) cluster in the foreground: one of any number, on any host; ' +
        'one leads, a standby takes over when it dies, and servers outlive it',
    )
    .option('-d, --dir <dir>', 'the app folder, which holds config/', process.cwd())
    .option('-e, --env <env>', 'the environment (default: NODE_ENV, else development)')
    .option('-i, --id <masterId>', "this master's id (default: from config/master.json); unique per master")
    .option('--host <host>', 'the host admins reach it on (default: from config/master.json)')
    .option('--port <port>', 'its admin port (default: from config/master.json)', port)
    .option('--entry <file>', 'the app entry (default: app.js, else dist/app.js)')
    .option('--spawn', 'also start the servers servers.json lists for this host that run nowhere yet')
    .action(
      async (options: {
        dir: string;
        env?: string;
        id?: string;
        host?: string;
        port?: number;
        entry?: string;
        spawn?: boolean;
      }) => {
        await runMasterCommand(options, process.env);
      },
    );

  withConnection(program.command('list'), defaultEnv)
    .description('list the masters and every server (through any master)')
    .action(async (options: ConnectionOptions) => {
      const rows = await withAdmin(options, (admin) => admin.list());
      io.out(formatServerTable(rows) + leaderLine(rows));
    });

  withConnection(program.command('stop'), defaultEnv)
    .description('stop these servers gracefully; with none, the whole cluster and the master')
    .argument('[ids...]', 'server ids')
    .option('--deadline <ms>', 'how long servers get to finish their work', milliseconds)
    .action(async (ids: string[], options: ConnectionOptions & { deadline?: number }) => {
      const { stopped } = await withAdmin(options, (admin) => admin.stop(ids, options.deadline));
      io.out(
        ids.length === 0
          ? `stopped the cluster (${stopped.join(', ')}) and the master\n`
          : `stopped ${stopped.join(', ')}\n`,
      );
    });

  withConnection(program.command('kill'), defaultEnv)
    .description('kill every server and the master at once (SIGTERM; --force: SIGKILL)')
    .option('-f, --force', 'SIGKILL instead of SIGTERM')
    .action(async (options: ConnectionOptions & { force?: boolean }) => {
      const { killed } = await withAdmin(options, (admin) => admin.kill(options.force === true));
      io.out(`killed ${killed.length === 0 ? 'no server' : killed.join(', ')} and the master\n`);
    });

  withConnection(program.command('add'), defaultEnv)
    .description('start a new server, e.g. add id=chat-server-3 serverType=chat host=127.0.0.1 port=4053')
    .argument('<fields...>', 'the server as key=value fields')
    .action(async (fields: string[], options: ConnectionOptions) => {
      const server = serverFromFields(fields);
      io.out(formatServerTable([await withAdmin(options, (admin) => admin.add(server))]));
    });

  withConnection(program.command('restart'), defaultEnv)
    .description('stop and start these servers again; with none, every running server')
    .argument('[ids...]', 'server ids')
    .action(async (ids: string[], options: ConnectionOptions) => {
      const { restarted } = await withAdmin(options, (admin) => admin.restart(ids));
      io.out(`restarted ${restarted.join(', ')}\n`);
    });

  program
    .command('admin-key')
    .description(
      'print the passwordKey of a password, to store in config/adminUser.json instead of the password ' +
        '(a new random password unless --stdin)',
    )
    .option('--stdin', 'read the password from stdin (its first line)')
    .action(async (options: { stdin?: boolean }) => {
      const password = options.stdin ? await firstLine(process.stdin) : randomBytes(18).toString('base64url');
      if (password === '') throw new ShaddockError(ErrorCode.CliUsage, 'admin-key: the password is empty');
      if (!options.stdin) io.out(`password:    ${password}\n`);
      io.out(`passwordKey: ${await formatPasswordKey(password)}\n`);
    });

  return program;
}

/** The first line of a stream (without its line break). */
async function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}
