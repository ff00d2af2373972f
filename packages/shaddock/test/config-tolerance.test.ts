// Pomelo's config at start-up: a connector whose config/dictionary.json is Pomelo's `{}` serves
// clients, and the lines about a misspelt server field or Pomelo's adminServer.json are logged
// once per cluster, by the process that speaks for it.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from '@shaddock/client';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../src/index.js';
import { recordingLogger } from '../src/testing/index.js';
import { ECHO, RawClient, withConnector } from './connector-harness.js';

const folders: string[] = [];

afterEach(async () => {
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

describe('config/dictionary.json', () => {
  it("as Pomelo's template ships it ({}), the connector starts and serves", () =>
    withConnector({ files: { 'dictionary.json': {} } }, async (harness) => {
      const client = await connect({ host: '127.0.0.1', port: harness.port, transport: 'tcp' });
      expect(await client.request(ECHO, { hello: 'pomelo' })).toEqual({ hello: 'pomelo' });
      await client.close();
      expect(harness.reported).toEqual([]);
    }));

  it('as an object of routes, its values join the dictionary', () =>
    withConnector(
      { config: { dictionaryMode: 'stable' }, files: { 'dictionary.json': { echo: ECHO, push: 'onPush' } } },
      async (harness) => {
        const client = await RawClient.connect('tcp', harness.port);
        const response = await client.open();
        expect((response['sys'] as { dict: unknown }).dict).toEqual({ [ECHO]: 1, onPush: 2 });
        client.destroy();
      },
    ));
});

describe('start-up notices', () => {
  async function app(): Promise<string> {
    const base = await mkdtemp(path.join(tmpdir(), 'shaddock-notices-'));
    folders.push(base);
    await mkdir(path.join(base, 'config'));
    const write = (name: string, value: unknown): Promise<void> =>
      writeFile(path.join(base, 'config', name), JSON.stringify(value));
    await write('master.json', { id: 'master-1', host: '127.0.0.1', port: 0 });
    await write('servers.json', {
      connector: [{ id: 'connector-1', host: '127.0.0.1', port: 0, clientPort: 0, frontEnd: true }],
    });
    await write('adminServer.json', [{ type: 'connector', token: 'pomelo-token' }]);
    return base;
  }

  it('the master logs each one once; a server it starts does not repeat them', async () => {
    const base = await app();
    const messages = async (argv: string[]): Promise<string[]> => {
      const recording = recordingLogger();
      await createApp({
        base,
        appDir: base,
        argv,
        environment: {},
        drivers: { logger: () => recording.logger },
      });
      return recording.lines().map((line) => String(line['msg']));
    };
    const master = await messages([]);
    expect(master).toContainEqual(
      expect.stringMatching(
        /connector\[0\]\.frontEnd: "frontEnd" is not a server field .* did you mean "frontend"\?$/,
      ),
    );
    expect(master).toContainEqual(
      expect.stringMatching(
        /adminServer\.json \(tokens for connector\) is read and not used: .*cluster secret/,
      ),
    );
    expect(master.filter((line) => /frontEnd|adminServer/.test(line))).toHaveLength(2);
    const child = await messages([
      'env=development',
      'id=connector-1',
      'serverType=connector',
      'masterHost=127.0.0.1',
      'masterPort=1',
    ]);
    expect(child.filter((line) => /frontEnd|adminServer/.test(line))).toEqual([]);
    // started by hand, without a master, the server speaks for itself
    const alone = await messages(['env=development', 'id=connector-1', 'serverType=connector']);
    expect(alone.filter((line) => /frontEnd|adminServer/.test(line))).toHaveLength(2);
  });
});
