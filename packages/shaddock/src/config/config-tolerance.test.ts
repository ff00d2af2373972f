// Pomelo's config where Shaddock should take it as Pomelo does (dictionary.json as `{}`, unknown
// server fields, adminServer.json), and the warnings where a typing slip would otherwise go unseen.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode } from '../errors.js';
import { likelyField, SERVER_FIELDS } from './fields.js';
import { dictionaryRoutes, loadClusterConfig } from './index.js';

const trees: string[] = [];

async function tree(files: Record<string, unknown>): Promise<string> {
  const base = await mkdtemp(path.join(tmpdir(), 'shaddock-tolerance-'));
  trees.push(base);
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(base, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(content, null, 2));
  }
  return base;
}

afterEach(async () => {
  await Promise.all(trees.splice(0).map((base) => rm(base, { recursive: true, force: true })));
});

const master = { id: 'master-server-1', host: '127.0.0.1', port: 3005 };

async function rejection(promise: Promise<unknown>): Promise<ConfigError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('likelyField', () => {
  it('names the known field a close misspelling means', () => {
    const cases: Record<string, string> = {
      frontEnd: 'frontend',
      FRONTEND: 'frontend',
      frontent: 'frontend',
      clientport: 'clientPort',
      clienthost: 'clientHost',
      client_port: 'clientPort',
      clientPrt: 'clientPort',
      autoRestart: 'auto-restart',
      auto_restart: 'auto-restart',
      autorestrat: 'auto-restart',
      maxConnections: 'max-connections',
      restartForce: 'restart-force',
      clustercount: 'clusterCount',
      hots: 'host',
      prot: 'port',
      Port: 'port',
      serverTpye: 'serverType',
      ID: 'id',
    };
    for (const [typed, meant] of Object.entries(cases))
      expect(likelyField(typed, SERVER_FIELDS), typed).toBe(meant);
  });

  it('leaves known fields and app fields alone', () => {
    for (const field of [
      ...SERVER_FIELDS,
      'area',
      'cpu',
      'weight',
      'wsPort',
      'name',
      'scene',
      'pid',
      'ids',
      'map',
    ])
      expect(likelyField(field, SERVER_FIELDS), field).toBeUndefined();
  });
});

describe('servers.json: unknown fields', () => {
  it('keeps every unknown field as an app field, and names each likely misspelling in a notice', async () => {
    const base = await tree({
      'config/master.json': master,
      'config/servers.json': {
        connector: [
          {
            id: 'connector-1',
            host: '127.0.0.1',
            port: 4050,
            clientPort: 3050,
            frontEnd: true,
            clienthost: '0.0.0.0',
            area: 7,
          },
        ],
        chat: [{ id: 'chat-1', host: '127.0.0.1', port: 6050, autoRestart: true, clientport: 3060 }],
      },
    });
    const cluster = await loadClusterConfig({ base, env: 'development', environment: {} });
    const [connector, chat] = cluster.servers;
    // kept as written, as Pomelo keeps them (the app reads them on its server info); the warning is
    // all that says this connector is a backend, with no client port
    expect(connector).toMatchObject({ frontEnd: true, clienthost: '0.0.0.0', area: 7, frontend: false });
    expect(chat).toMatchObject({ autoRestart: true, clientport: 3060, frontend: false });
    expect(chat).not.toHaveProperty('auto-restart');
    const file = path.join(base, 'config', 'servers.json');
    expect(cluster.notices).toEqual([
      `${file} connector[0].frontEnd: "frontEnd" is not a server field Shaddock reads, so it is kept as an app field; did you mean "frontend"?`,
      `${file} connector[0].clienthost: "clienthost" is not a server field Shaddock reads, so it is kept as an app field; did you mean "clientHost"?`,
      `${file} chat[0].autoRestart: "autoRestart" is not a server field Shaddock reads, so it is kept as an app field; did you mean "auto-restart"?`,
      `${file} chat[0].clientport: "clientport" is not a server field Shaddock reads, so it is kept as an app field; did you mean "clientPort"?`,
    ]);
  });

  it('says it once per entry, whatever its clusterCount, and nothing for a clean file', async () => {
    const base = await tree({
      'config/master.json': master,
      'config/servers.json': {
        development: {
          chat: [{ host: '127.0.0.1', port: '6050++', clusterCount: 3, hots: 'x' }],
          area: [{ id: 'area-1', host: '127.0.0.1', port: 6100, area: 1 }],
        },
      },
    });
    const cluster = await loadClusterConfig({ base, env: 'development', environment: {} });
    expect(cluster.servers).toHaveLength(4);
    expect(cluster.notices).toHaveLength(1);
    expect(cluster.notices?.[0]).toMatch(/development\.chat\[0\]\.hots: .*did you mean "host"\?$/);

    const clean = await tree({
      'config/master.json': master,
      'config/servers.json': { area: [{ id: 'area-1', host: '127.0.0.1', port: 6100, area: 1 }] },
    });
    expect((await loadClusterConfig({ base: clean, env: 'development', environment: {} })).notices).toEqual(
      [],
    );
  });
});

describe('adminServer.json', () => {
  const servers = { chat: [{ id: 'chat-1', host: '127.0.0.1', port: 6050 }] };

  it('is read, and reported as not used (servers prove the cluster secret instead)', async () => {
    const base = await tree({
      'config/master.json': master,
      'config/servers.json': servers,
      'config/adminServer.json': [
        { type: 'connector', token: 'agarxhqb98rpajloaxn34ga8xrunpagkjwlaw3ruxnpaagl29w4rxn' },
        { type: 'chat', token: 'agarxhqb98rpajloaxn34ga8xrunpagkjwlaw3ruxnpaagl29w4rxn' },
      ],
    });
    const cluster = await loadClusterConfig({ base, env: 'development', environment: {} });
    expect(cluster.notices).toEqual([
      `${path.join(base, 'config', 'adminServer.json')} (tokens for connector, chat) is read and not used: ` +
        'Shaddock authenticates every server with the cluster secret ("secret" in config/cluster.json or ' +
        'SHADDOCK_CLUSTER_SECRET), on every connection, not with per-type tokens',
    ]);
  });

  it('may be env-keyed; nothing for this environment is nothing to report', async () => {
    const base = await tree({
      'config/master.json': master,
      'config/servers.json': servers,
      'config/adminServer.json': { production: [{ type: 'chat', token: 't' }] },
    });
    expect((await loadClusterConfig({ base, env: 'production', environment: {} })).notices).toEqual([
      expect.stringContaining('(tokens for chat) is read and not used'),
    ]);
    expect((await loadClusterConfig({ base, env: 'development', environment: {} })).notices).toEqual([]);
  });

  it('in another shape is a ConfigInvalid naming the entry', async () => {
    const entry = await tree({
      'config/master.json': master,
      'config/servers.json': servers,
      'config/adminServer.json': [{ type: 'chat' }],
    });
    const error = await rejection(loadClusterConfig({ base: entry, env: 'development', environment: {} }));
    expect(error).toMatchObject({ code: ErrorCode.ConfigInvalid, field: '[0].token' });
    expect(error.message).toMatch(/missing "token"/);

    const list = await tree({
      'config/master.json': master,
      'config/servers.json': servers,
      'config/adminServer.json': 'chat',
    });
    expect(
      await rejection(loadClusterConfig({ base: list, env: 'development', environment: {} })),
    ).toMatchObject({
      code: ErrorCode.ConfigInvalid,
      message: expect.stringMatching(/expected a list of \{ "type", "token" \}/),
    });
  });
});

describe('dictionaryRoutes', () => {
  it("takes Pomelo's shapes: a list of routes, an object of routes, {} for none", () => {
    expect(dictionaryRoutes('d.json', {})).toEqual([]);
    expect(dictionaryRoutes('d.json', [])).toEqual([]);
    expect(dictionaryRoutes('d.json', ['onChat', 'onAdd'])).toEqual(['onChat', 'onAdd']);
    expect(dictionaryRoutes('d.json', { chat: 'onChat', add: 'onAdd' })).toEqual(['onChat', 'onAdd']);
  });

  it('refuses anything else with a ConfigInvalid naming the file and the entry', () => {
    const fails = (content: unknown): ConfigError => {
      try {
        dictionaryRoutes('d.json', content);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return error as ConfigError;
      }
      throw new Error(`accepted ${JSON.stringify(content)}`);
    };
    expect(fails('onChat')).toMatchObject({ file: 'd.json', code: ErrorCode.ConfigInvalid });
    expect(fails(null).message).toMatch(/list of route strings/);
    expect(fails(['onChat', 3])).toMatchObject({ field: '[1]' });
    expect(fails({ chat: '' })).toMatchObject({ field: 'chat' });
    expect(fails([['onChat']]).message).toMatch(/non-empty string, got an array/);
  });
});
