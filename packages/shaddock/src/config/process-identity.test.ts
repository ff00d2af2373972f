import { describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode } from '../errors.js';
import type { ServerInfo } from '../membership/index.js';
import { readProcessIdentity, serverArguments, serverInfoFromIdentity } from './index.js';

describe('readProcessIdentity', () => {
  it('reads key=value arguments, parsing numbers and booleans as Pomelo does', () => {
    const identity = readProcessIdentity(
      [
        'env=production',
        'id=connector-1',
        'serverType=connector',
        'host=127.0.0.1',
        'port=4050',
        'frontend=true',
        'weight=1.5',
        'offset=-3',
        'big=123456789012345678901',
        'note=a=b',
        'empty=',
        'masterHost=10.0.0.1',
        'masterPort=3005',
        '--inspect=9229',
        'positional',
      ],
      { NODE_ENV: 'development', SHADDOCK_SERVER_ID: 'ignored' },
    );
    expect(identity).toEqual({
      env: 'production',
      serverId: 'connector-1',
      serverType: 'connector',
      master: { host: '10.0.0.1', port: 3005 },
      fields: {
        env: 'production',
        id: 'connector-1',
        serverType: 'connector',
        host: '127.0.0.1',
        port: 4050,
        frontend: true,
        weight: '1.5',
        offset: -3,
        big: '123456789012345678901',
        note: 'a=b',
        empty: '',
        masterHost: '10.0.0.1',
        masterPort: 3005,
      },
    });
  });

  it('falls back to the environment, then to the defaults', () => {
    const identity = readProcessIdentity([], {
      NODE_ENV: 'staging',
      SHADDOCK_SERVER_ID: 'chat-2',
      SHADDOCK_SERVER_TYPE: 'chat',
      SHADDOCK_MASTER_HOST: 'master.local',
      SHADDOCK_MASTER_PORT: '3005',
    });
    expect(identity).toEqual({
      env: 'staging',
      serverId: 'chat-2',
      serverType: 'chat',
      master: { host: 'master.local', port: 3005 },
      fields: {},
    });
    expect(readProcessIdentity([], {})).toEqual({
      env: 'development',
      serverId: undefined,
      serverType: undefined,
      master: undefined,
      fields: {},
    });
    // An argument wins over its variable, half by half.
    const mixed = readProcessIdentity(['masterPort=4000'], {
      SHADDOCK_MASTER_HOST: 'h',
      SHADDOCK_MASTER_PORT: '1',
    });
    expect(mixed.master).toEqual({ host: 'h', port: 4000 });
  });

  it('rejects a half-given or invalid master address', () => {
    const cases: Array<[string[], NodeJS.ProcessEnv, string, string]> = [
      [['masterPort=3005'], {}, 'command-line arguments', 'masterHost'],
      [[], { SHADDOCK_MASTER_HOST: 'h' }, 'environment', 'SHADDOCK_MASTER_PORT'],
      [['masterHost=h', 'masterPort=70000'], {}, 'command-line arguments', 'masterPort'],
      [[], { SHADDOCK_MASTER_HOST: 'h', SHADDOCK_MASTER_PORT: 'x' }, 'environment', 'SHADDOCK_MASTER_PORT'],
    ];
    for (const [argv, environment, file, field] of cases) {
      let caught: unknown;
      try {
        readProcessIdentity(argv, environment);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      expect(caught).toMatchObject({ code: ErrorCode.ConfigInvalid, file, field });
    }
  });
});

describe('serverArguments and serverInfoFromIdentity', () => {
  const server: ServerInfo = {
    id: 'connector-1',
    serverType: 'connector',
    host: '127.0.0.1',
    port: 4050,
    clientHost: 'game.example.org',
    clientPort: 3050,
    frontend: true,
    'max-connections': 1000,
    'auto-restart': true,
    'restart-force': false,
    args: ['--inspect=9229'],
    area: 3,
    name: 'north gate',
    label: '42',
    flag: 'true',
    quoted: '"hi"',
    tags: ['a', 'b'],
    shape: { w: 2, h: [1, null] },
    nothing: null,
  };

  it('passes every field but args as key=value, extra last', () => {
    const argv = serverArguments(server, { env: 'production', masterHost: '127.0.0.1', masterPort: 3005 });
    expect(argv).toEqual([
      'id=connector-1',
      'serverType=connector',
      'host=127.0.0.1',
      'port=4050',
      'clientHost=game.example.org',
      'clientPort=3050',
      'frontend=true',
      'max-connections=1000',
      'auto-restart=true',
      'restart-force=false',
      'area=3',
      'name=north gate',
      'label="42"',
      'flag="true"',
      'quoted="\\"hi\\""',
      'tags=["a","b"]',
      'shape={"w":2,"h":[1,null]}',
      'env=production',
      'masterHost=127.0.0.1',
      'masterPort=3005',
    ]);
    expect(serverArguments(server, { port: 5000 })).toContain('port=5000');
  });

  it('round-trips a server with free fields through a process identity', () => {
    const argv = serverArguments(server, { env: 'production', masterHost: '127.0.0.1', masterPort: 3005 });
    const identity = readProcessIdentity(argv, {});
    expect(identity.env).toBe('production');
    expect(identity.serverId).toBe('connector-1');
    expect(identity.serverType).toBe('connector');
    expect(identity.master).toEqual({ host: '127.0.0.1', port: 3005 });
    const { args: _nodeArgs, nothing: _null, ...expected } = server;
    expect(serverInfoFromIdentity(identity)).toEqual(expected);
  });

  it('gives undefined for the master or an incomplete identity, and checks the fields', () => {
    expect(serverInfoFromIdentity(readProcessIdentity([], {}))).toBeUndefined();
    expect(serverInfoFromIdentity(readProcessIdentity(['id=a', 'host=h'], {}))).toBeUndefined();
    expect(serverInfoFromIdentity(readProcessIdentity(['id=a', 'serverType=chat'], {}))).toBeUndefined();
    const bad = readProcessIdentity(['id=a', 'serverType=chat', 'host=h', 'port=abc'], {});
    expect(() => serverInfoFromIdentity(bad)).toThrow(ConfigError);
    expect(() => serverInfoFromIdentity(bad)).toThrow(/command-line arguments \(port\)/);
  });

  it('refuses a field name that cannot travel as key=value', () => {
    expect(() => serverArguments({ ...server, 'a=b': 1 })).toThrow(ConfigError);
    expect(() => serverArguments(server, { '-x': 1 })).toThrow(/-x/);
  });
});
