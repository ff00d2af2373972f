import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode } from '../errors.js';
import { loadClusterConfig } from './index.js';

const trees: string[] = [];

async function tree(files: Record<string, unknown>): Promise<string> {
  const base = await mkdtemp(path.join(tmpdir(), 'shaddock-config-'));
  trees.push(base);
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(base, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  }
  return base;
}

afterEach(async () => {
  await Promise.all(trees.splice(0).map((base) => rm(base, { recursive: true, force: true })));
});

const master = { id: 'master', host: '127.0.0.1', port: 3005 };

interface Expected {
  readonly code: ErrorCode;
  readonly file: string;
  readonly field: string | undefined;
  readonly message: RegExp;
}

/** Loads `files` for `env` and checks the ONE `ConfigError` it fails with. */
async function expectConfigError(files: Record<string, unknown>, expected: Expected, env = 'development') {
  const base = await tree(files);
  const error: unknown = await loadClusterConfig({ base, env, environment: {} }).then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ConfigError);
  const configError = error as ConfigError;
  expect(configError.code).toBe(expected.code);
  expect(configError.file).toBe(path.join(base, expected.file));
  expect(configError.field).toBe(expected.field);
  expect(configError.message).toMatch(expected.message);
  expect(configError.message).toContain(configError.file);
  if (expected.field !== undefined) expect(configError.message).toContain(expected.field);
}

/** A servers.json with `servers` as the chat list, and a valid master. */
function withChat(...servers: unknown[]): Record<string, unknown> {
  return { 'config/master.json': master, 'config/servers.json': { chat: servers } };
}

const invalid = ErrorCode.ConfigInvalid;
const serversJson = 'config/servers.json';

describe('loadClusterConfig errors', () => {
  it('a missing servers or master file', async () => {
    await expectConfigError(
      { 'config/master.json': master },
      { code: ErrorCode.ConfigMissing, file: serversJson, field: undefined, message: /no servers config/ },
    );
    await expectConfigError(
      { 'config/servers.json': {} },
      {
        code: ErrorCode.ConfigMissing,
        file: 'config/master.json',
        field: undefined,
        message: /no master config/,
      },
    );
  });

  it('malformed JSON, with the parser message', async () => {
    await expectConfigError(
      { 'config/master.json': master, 'config/servers.json': '{ "chat": [ }' },
      { code: invalid, file: serversJson, field: undefined, message: /malformed JSON: .*(JSON|token)/ },
    );
  });

  it('a file that is not an object, or a server list that is not a list', async () => {
    await expectConfigError(
      { 'config/master.json': master, 'config/servers.json': '[1, 2]' },
      { code: invalid, file: serversJson, field: undefined, message: /expected an object/ },
    );
    await expectConfigError(
      { 'config/master.json': '"master"', 'config/servers.json': {} },
      { code: invalid, file: 'config/master.json', field: undefined, message: /expected an object/ },
    );
    await expectConfigError(
      { 'config/master.json': master, 'config/servers.json': { chat: [], gate: 'x' } },
      { code: invalid, file: serversJson, field: 'gate', message: /expected a list of servers/ },
    );
    await expectConfigError(withChat(null), {
      code: invalid,
      file: serversJson,
      field: 'chat[0]',
      message: /expected a server object/,
    });
  });

  it('a module that fails to load', async () => {
    await expectConfigError(
      { 'config/master.json': master, 'config/servers.mjs': 'throw new Error("boom");' },
      { code: invalid, file: 'config/servers.mjs', field: undefined, message: /failed to load: boom/ },
    );
  });

  it('a server without id or host', async () => {
    await expectConfigError(withChat({ id: 'chat-1', host: '127.0.0.1' }, { host: '127.0.0.1' }), {
      code: invalid,
      file: serversJson,
      field: 'chat[1].id',
      message: /missing "id"/,
    });
    await expectConfigError(withChat({ id: 'chat-1', host: '' }), {
      code: invalid,
      file: serversJson,
      field: 'chat[0].host',
      message: /non-empty string/,
    });
  });

  it('a duplicate id, naming both', async () => {
    await expectConfigError(
      {
        'config/master.json': master,
        'config/servers.json': { development: { a: [{ id: 'x', host: 'h' }], b: [{ id: 'x', host: 'h' }] } },
      },
      {
        code: invalid,
        file: serversJson,
        field: 'development.b[0].id',
        message: /duplicate server id "x" \(also at development\.a\[0\]\)/,
      },
    );
  });

  it('a duplicate port or clientPort on one host', async () => {
    await expectConfigError(
      withChat({ id: 'a', host: '127.0.0.1', port: 4000 }, { id: 'b', host: 'localhost', port: 4000 }),
      { code: invalid, file: serversJson, field: 'chat[1].port', message: /port 4000 .*"b".*"a" port/ },
    );
    await expectConfigError(
      withChat(
        { id: 'a', host: 'h', port: 4000, clientPort: 3000, frontend: true },
        { id: 'b', host: 'h', port: 4001, clientPort: 3000, frontend: true },
      ),
      {
        code: invalid,
        file: serversJson,
        field: 'chat[1].clientPort',
        message: /port 3000 .*chat\[0\]\.clientPort/,
      },
    );
    await expectConfigError(
      withChat({ host: 'h', port: '4000++', clusterCount: 2 }, { id: 'c', host: 'h', port: 4001 }),
      {
        code: invalid,
        file: serversJson,
        field: 'chat[1].port',
        message: /port 4001 .*cluster-server-chat-1/,
      },
    );
  });

  it('a frontend without clientPort', async () => {
    await expectConfigError(withChat({ id: 'gate', host: 'h', frontend: 'true' }), {
      code: invalid,
      file: serversJson,
      field: 'chat[0].clientPort',
      message: /frontend server "gate" has no "clientPort"/,
    });
  });

  it('a port that is not an integer from 0 to 65535', async () => {
    for (const port of [70000, -1, 3.5, 'abc', '3050++', true]) {
      await expectConfigError(withChat({ id: 'c', host: 'h', port }), {
        code: invalid,
        file: serversJson,
        field: 'chat[0].port',
        message: /integer from 0 to 65535/,
      });
    }
    await expectConfigError(withChat({ id: 'c', host: 'h', port: '65535++', clusterCount: 2 }), {
      code: invalid,
      file: serversJson,
      field: 'chat[0].port',
      message: /number 65536/,
    });
  });

  it('other bad fields: booleans, clusterCount, args, reserved names', async () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ frontend: 'yes' }, 'frontend', /true or false/],
      [{ clusterCount: 0 }, 'clusterCount', /integer from 1/],
      [{ args: [1] }, 'args', /array of strings/],
      [{ env: 'production' }, 'env', /reserved/],
      [{ 'a=b': 1 }, 'a=b', /key=value/],
    ];
    for (const [fields, field, message] of cases) {
      await expectConfigError(withChat({ id: 'c', host: 'h', ...fields }), {
        code: invalid,
        file: serversJson,
        field: `chat[0].${field}`,
        message,
      });
    }
  });

  it('master.port missing or invalid, master without id', async () => {
    const servers = { 'config/servers.json': {} };
    const file = 'config/master.json';
    await expectConfigError(
      { ...servers, [file]: { id: 'm', host: 'h' } },
      { code: invalid, file, field: 'port', message: /missing "port"/ },
    );
    await expectConfigError(
      { ...servers, [file]: { development: { id: 'm', host: 'h', port: 'x' } } },
      { code: invalid, file, field: 'development.port', message: /integer from 0 to 65535/ },
    );
    await expectConfigError(
      { ...servers, [file]: { host: 'h', port: 1 } },
      { code: invalid, file, field: 'id', message: /missing "id"/ },
    );
  });

  it('an unknown environment in an env-keyed file', async () => {
    await expectConfigError(
      { 'config/master.json': master, 'config/servers.json': { development: {}, production: {} } },
      {
        code: ErrorCode.ConfigUnknownEnv,
        file: serversJson,
        field: 'staging',
        message: /unknown environment "staging" \(the file has: development, production\)/,
      },
      'staging',
    );
    await expectConfigError(
      { 'config/master.json': { production: master }, 'config/servers.json': {} },
      {
        code: ErrorCode.ConfigUnknownEnv,
        file: 'config/master.json',
        field: 'development',
        message: /unknown environment/,
      },
    );
  });

  it('bad admin users, from the file or SHADDOCK_ADMIN_USER', async () => {
    await expectConfigError(
      {
        'config/master.json': master,
        'config/servers.json': {},
        'config/adminUser.json': [{ username: 'u' }],
      },
      { code: invalid, file: 'config/adminUser.json', field: '[0].password', message: /missing "password"/ },
    );
    await expectConfigError(
      {
        'config/master.json': master,
        'config/servers.json': {},
        'config/adminUser.json': { username: 'u', password: 'p' },
      },
      {
        code: invalid,
        file: 'config/adminUser.json',
        field: undefined,
        message: /expected a list of admin users/,
      },
    );
    const base = await tree({ 'config/master.json': master, 'config/servers.json': {} });
    const load = loadClusterConfig({
      base,
      env: 'development',
      environment: { SHADDOCK_ADMIN_USER: 'nopassword' },
    });
    await expect(load).rejects.toMatchObject({
      code: invalid,
      file: 'environment variable SHADDOCK_ADMIN_USER',
    });
  });
});
