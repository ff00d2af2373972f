import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadClusterConfig } from './index.js';

const trees: string[] = [];

/** Writes `files` (path → text, or a value written as JSON) under a new temp folder. */
async function tree(files: Record<string, unknown>): Promise<string> {
  const base = await mkdtemp(path.join(tmpdir(), 'shaddock-config-'));
  trees.push(base);
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(base, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return base;
}

afterEach(async () => {
  await Promise.all(trees.splice(0).map((base) => rm(base, { recursive: true, force: true })));
});

const master = { id: 'master-server-1', host: '127.0.0.1', port: 3005 };
const noAdmin = {};

describe('loadClusterConfig', () => {
  it('reads env-keyed files and picks the environment', async () => {
    const base = await tree({
      'config/master.json': { development: master, production: { ...master, host: '10.0.0.1' } },
      'config/servers.json': {
        development: {
          connector: [
            { id: 'connector-1', host: '127.0.0.1', port: 4050, clientPort: 3050, frontend: true },
            { id: 'connector-2', host: '127.0.0.1', port: '4051', clientPort: '3051', frontend: 'true' },
          ],
          chat: [{ id: 'chat-1', host: '127.0.0.1', port: 6050, area: 3, 'auto-restart': 'true' }],
        },
        production: { chat: [{ id: 'chat-p', host: '10.0.0.2', port: 6050 }] },
      },
    });
    const cluster = await loadClusterConfig({ base, env: 'development', environment: noAdmin });
    expect(cluster.env).toBe('development');
    expect(cluster.base).toBe(base);
    expect(cluster.master).toEqual(master);
    expect(cluster.adminUsers).toEqual([]);
    expect(cluster.servers).toEqual([
      {
        id: 'connector-1',
        serverType: 'connector',
        host: '127.0.0.1',
        port: 4050,
        clientPort: 3050,
        frontend: true,
      },
      {
        id: 'connector-2',
        serverType: 'connector',
        host: '127.0.0.1',
        port: 4051,
        clientPort: 3051,
        frontend: true,
      },
      {
        id: 'chat-1',
        serverType: 'chat',
        host: '127.0.0.1',
        port: 6050,
        frontend: false,
        area: 3,
        'auto-restart': true,
      },
    ]);
    const production = await loadClusterConfig({ base, env: 'production', environment: noAdmin });
    expect(production.master.host).toBe('10.0.0.1');
    expect(production.servers.map((server) => server.id)).toEqual(['chat-p']);
  });

  it('reads flat files, typed fields and free fields', async () => {
    const base = await tree({
      'config/master.json': { ...master, region: 'eu' },
      'config/servers.json': {
        gate: [
          {
            id: 'gate-1',
            host: '127.0.0.1',
            clientHost: 'example.org',
            clientPort: 3014,
            frontend: true,
            'max-connections': '500',
            'restart-force': false,
            args: ' --inspect=9229  --max-old-space-size=512',
            extra: { nested: [1, 'two'] },
            serverType: 'ignored',
          },
        ],
      },
    });
    const cluster = await loadClusterConfig({ base, env: 'anything', environment: noAdmin });
    expect(cluster.master).toEqual({ ...master, region: 'eu' });
    expect(cluster.servers).toEqual([
      {
        id: 'gate-1',
        serverType: 'gate',
        host: '127.0.0.1',
        clientHost: 'example.org',
        clientPort: 3014,
        frontend: true,
        'max-connections': 500,
        'restart-force': false,
        args: ['--inspect=9229', '--max-old-space-size=512'],
        extra: { nested: [1, 'two'] },
      },
    ]);
  });

  it('prefers config/<env>/ over config/', async () => {
    const base = await tree({
      'config/master.json': master,
      'config/servers.json': { chat: [{ id: 'chat-root', host: '127.0.0.1' }] },
      'config/production/servers.json': { chat: [{ id: 'chat-prod', host: '127.0.0.1' }] },
      'config/production/master.json': { production: { ...master, port: 4005 } },
    });
    const production = await loadClusterConfig({ base, env: 'production', environment: noAdmin });
    expect(production.servers.map((server) => server.id)).toEqual(['chat-prod']);
    expect(production.master.port).toBe(4005);
    const development = await loadClusterConfig({ base, env: 'development', environment: noAdmin });
    expect(development.servers.map((server) => server.id)).toEqual(['chat-root']);
    expect(development.master.port).toBe(3005);
  });

  it('reads module config files: default export, module namespace, CommonJS', async () => {
    const base = await tree({
      'config/package.json': { type: 'module' },
      'config/servers.js': `export default { development: { chat: [{ id: 'chat-js', host: '127.0.0.1', port: 0 }] } };`,
      'config/master.mjs': `export const development = { id: 'm', host: '127.0.0.1', port: 0 };`,
      'config/adminUser.cjs': `module.exports = [{ id: 'u1', username: 'admin', password: 'pw', level: 1 }];`,
    });
    const cluster = await loadClusterConfig({ base, env: 'development', environment: noAdmin });
    expect(cluster.servers).toEqual([
      { id: 'chat-js', serverType: 'chat', host: '127.0.0.1', port: 0, frontend: false },
    ]);
    expect(cluster.master).toEqual({ id: 'm', host: '127.0.0.1', port: 0 });
    expect(cluster.adminUsers).toEqual([{ id: 'u1', username: 'admin', password: 'pw', level: 1 }]);
  });

  it('expands clusterCount, increasing every "++" field', async () => {
    const base = await tree({
      'config/master.json': master,
      'config/servers.json': {
        connector: [
          {
            id: 'connector',
            host: '127.0.0.1',
            port: '4050++',
            clientPort: '3010++',
            frontend: true,
            clusterCount: 3,
            shard: '7++',
            lang: 'c++',
          },
        ],
        chat: [
          { host: '127.0.0.1', port: '6050++', clusterCount: '2' },
          { id: 'chat-solo', host: '127.0.0.1', port: 6060 },
          { host: '127.0.0.1', port: '6070++', clusterCount: 1 },
        ],
      },
    });
    const { servers } = await loadClusterConfig({ base, env: 'development', environment: noAdmin });
    expect(servers.map((server) => [server.id, server.port, server.clientPort])).toEqual([
      ['connector-0', 4050, 3010],
      ['connector-1', 4051, 3011],
      ['connector-2', 4052, 3012],
      ['cluster-server-chat-0', 6050, undefined],
      ['cluster-server-chat-1', 6051, undefined],
      ['chat-solo', 6060, undefined],
      ['cluster-server-chat-2', 6070, undefined],
    ]);
    expect(servers.map((server) => server['shard'])).toEqual([
      7,
      8,
      9,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(servers[0]?.['lang']).toBe('c++');
    expect(servers[0]).not.toHaveProperty('clusterCount');
  });

  it('allows port 0 on many servers of one host (the OS picks)', async () => {
    const base = await tree({
      'config/master.json': master,
      'config/servers.json': {
        chat: [
          { id: 'a', host: '127.0.0.1', port: 0 },
          { id: 'b', host: '127.0.0.1', port: 0, clientPort: 0, frontend: true },
        ],
      },
    });
    const { servers } = await loadClusterConfig({ base, env: 'development', environment: noAdmin });
    expect(servers).toHaveLength(2);
  });

  it('reads admin users from adminUser.* and SHADDOCK_ADMIN_USER', async () => {
    const base = await tree({
      'config/master.json': master,
      'config/servers.json': {},
      'config/adminUser.json': {
        development: [
          { id: 'user-1', username: 'admin', password: 'old', level: 1 },
          { username: 'viewer', password: 'v', level: '2' },
        ],
      },
    });
    const fromFile = await loadClusterConfig({ base, env: 'development', environment: noAdmin });
    expect(fromFile.servers).toEqual([]);
    expect(fromFile.adminUsers).toEqual([
      { id: 'user-1', username: 'admin', password: 'old', level: 1 },
      { id: 'viewer', username: 'viewer', password: 'v', level: 2 },
    ]);
    const both = await loadClusterConfig({
      base,
      env: 'development',
      environment: { SHADDOCK_ADMIN_USER: 'admin:new:pass' },
    });
    expect(both.adminUsers).toEqual([
      { id: 'viewer', username: 'viewer', password: 'v', level: 2 },
      { id: 'admin', username: 'admin', password: 'new:pass', level: 1 },
    ]);
    const onlyVariable = await tree({ 'config/master.json': master, 'config/servers.json': {} });
    const fromVariable = await loadClusterConfig({
      base: onlyVariable,
      env: 'development',
      environment: { SHADDOCK_ADMIN_USER: 'ops:secret' },
    });
    expect(fromVariable.adminUsers).toEqual([{ id: 'ops', username: 'ops', password: 'secret', level: 1 }]);
  });
});
