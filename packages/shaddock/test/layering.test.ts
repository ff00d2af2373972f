// The layering check (DESIGN.md §9): the rules in /.dependency-cruiser.mjs hold on the workspace, and
// each of them fires on a small tree laid out like the workspace. `npm run layering` runs the same rules.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const configFile = '.dependency-cruiser.mjs';
const sources = 'packages/*/src';

/**
 * Runs the layering rules on the `packages/*\/src` folders under `baseDir`; one line per violation:
 * `rule: from → to`, or `rule: from → … → from` for a cycle.
 */
async function check(baseDir: string): Promise<string[]> {
  const options = await extractDepcruiseOptions(join(root, configFile));
  // the config names the tsconfig relative to the repository root, where `npm run layering` runs
  const tsConfigFile = join(root, options.tsConfig?.fileName ?? 'tsconfig.json');
  const { output } = await cruise(
    [sources],
    { ...options, baseDir, tsConfig: { fileName: tsConfigFile } },
    {},
    { tsConfig: extractTSConfig(tsConfigFile) },
  );
  const result = output as ICruiseResult;
  return result.summary.violations
    .map(({ rule, from, to, cycle }) =>
      cycle
        ? [`${rule.name}: ${from}`, ...cycle.map(({ name }) => name)].join(' → ')
        : `${rule.name}: ${from} → ${to}`,
    )
    .sort();
}

describe('the layering rules', () => {
  it('are the ones `npm run layering` checks', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(manifest.scripts['layering']).toContain(`--config ${configFile}`);
    expect(manifest.scripts['layering']).toContain(sources);
    expect(manifest.scripts['test']).toContain('npm run lint && npm run layering');
  });

  it('hold on the workspace', async () => {
    expect(await check(root)).toEqual([]);
  });
});

describe('each layering rule fires', () => {
  // A tree shaped like the workspace: every file is allowed by the rules, except the ones marked.
  const files: Record<string, string> = {
    'packages/shaddock/src/errors.ts': `
      import { config } from './config/index.js'; // errors-imports-nothing-local
      export class ShaddockError extends Error { readonly size = config; }`,
    'packages/shaddock/src/index.ts': `
      export * from './errors.js';
      export * from './kernel/index.js';
      export * from './channel/index.js';
      export * from './rpc/index.js';`,
    'packages/shaddock/src/config/index.ts': 'export const config = 1;',
    'packages/shaddock/src/config/reads-kernel.ts': `
      import { App } from '../kernel/index.js'; // foundation-not-up
      export const app = new App();`,
    'packages/shaddock/src/transport/index.ts': "export * from './frames.js';",
    'packages/shaddock/src/transport/frames.ts': 'export const frame = 1;',
    'packages/shaddock/src/transport/testing.ts': 'export const suite = 1;',
    'packages/shaddock/src/kernel/index.ts': "export * from './app.js';",
    'packages/shaddock/src/kernel/app.ts': `
      import { ShaddockError } from '../errors.js';
      import { frame } from '../transport/index.js';
      import type { RpcClient } from '../rpc/index.js'; // kernel-imports-no-feature (type-only counts)
      import { gone } from './missing.js'; // not-to-unresolvable
      export class App { rpc?: RpcClient; error = new ShaddockError(); frame = frame; gone = gone; }`,
    'packages/shaddock/src/rpc/index.ts': "export * from './rpc-client.js';",
    'packages/shaddock/src/rpc/internal.ts': "export { RpcClient as Client } from './rpc-client.js';",
    'packages/shaddock/src/rpc/rpc-client.ts': 'export class RpcClient {}',
    'packages/shaddock/src/handler/a.ts': `
      import { b } from './b.js'; // no-circular
      export type A = { b: typeof b };`,
    'packages/shaddock/src/handler/b.ts': `
      import type { A } from './a.js'; // no-circular (type-only counts)
      export const b: A | undefined = undefined;`,
    'packages/shaddock/src/handler/types.ts': 'export type Filter = () => void;',
    'packages/shaddock/src/handler/pipeline.ts': `
      import { timeout } from './filters/timeout.js';
      export const pipeline = [timeout];`,
    'packages/shaddock/src/handler/filters/timeout.ts': `
      import type { Session } from '../../session/index.js';
      import type { Filter } from '../types.js';
      export const timeout: Filter = () => {};
      export type S = Session;`,
    // subfolders of one folder may depend on each other, even in a ring
    'packages/shaddock/src/handler/chain/run.ts': `
      import { timeout } from '../filters/timeout.js';
      export const run = [timeout];`,
    'packages/shaddock/src/handler/chain/order.ts': 'export const order = 1;',
    'packages/shaddock/src/handler/filters/ordered.ts': `
      import { order } from '../chain/order.js';
      export const ordered = order;`,
    'packages/shaddock/src/handler/uses-internal.ts': `
      import { RpcClient } from '../internal.js'; // features-not-up
      export const client = new RpcClient();`,
    'packages/shaddock/src/internal.ts': "export { RpcClient } from './rpc/index.js';",
    'packages/shaddock/src/channel/index.ts': "export * from './channel.js';",
    'packages/shaddock/src/channel/channel.ts': `
      import { ShaddockError } from '../errors.js';
      export class Channel { error = new ShaddockError(); }`,
    'packages/shaddock/src/channel/deep.ts': `
      import { RpcClient } from '../rpc/rpc-client.js'; // no-deep-import
      export const client = new RpcClient();`,
    'packages/shaddock/src/channel/push.ts': `
      import type { Session } from '../session/index.js'; // no-folder-cycle: channel/ → session/
      export const push = (session: Session) => session;`,
    'packages/shaddock/src/session/index.ts': "export * from './session.js';",
    'packages/shaddock/src/session/session.ts': 'export class Session {}',
    'packages/shaddock/src/session/binder.ts': `
      import { Channel } from '../channel/index.js'; // no-folder-cycle: session/ → channel/
      export const bind = () => new Channel();`,
    'packages/shaddock/src/connector/connector.ts': `
      import { Client } from '../rpc/internal.js';
      import { suite } from '../transport/testing.js';
      import { master } from '../master/index.js'; // features-not-up
      export const connector = { client: new Client(), suite, master };`,
    'packages/shaddock/src/master/index.ts': 'export const master = 1;',
    'packages/shaddock/src/master/run.ts': `
      import { createApp } from '../server/index.js'; // control-not-up
      export const run = createApp;`,
    'packages/shaddock/src/server/index.ts': `
      import { contract } from '../testing/index.js'; // runners-not-up
      export const createApp = () => contract;`,
    'packages/shaddock/src/testing/index.ts': 'export const contract = 1;',
    'packages/shaddock/src/kernel/app.test.ts': `
      import { master } from '../master/index.js';
      import { RpcClient } from '../rpc/rpc-client.js';
      export const tests = [master, RpcClient];`,
    'packages/shaddock/src/kernel/test/helpers.ts': "export { createApp } from '../../server/index.js';",
    'packages/shaddock/src/handler/test-kit.ts': "export { createApp } from '../server/index.js';",
    'packages/protocol/src/index.ts': 'export const protocol = 1;',
    'packages/protocol/src/socket.ts': `
      import { connect } from 'node:net'; // protocol-not-to-node
      export const open = connect;`,
    'packages/client/src/tcp.ts': `
      import { connect } from 'node:tls';
      export const open = connect;`,
    'packages/client/src/proto.ts': `
      import { protocol } from '../../protocol/src/index.js'; // no-relative-import-across-packages
      export const version = protocol;`,
  };

  const src = 'packages/shaddock/src';
  const expected = [
    `errors-imports-nothing-local: ${src}/errors.ts → ${src}/config/index.ts`,
    `foundation-not-up: ${src}/config/reads-kernel.ts → ${src}/kernel/index.ts`,
    `kernel-imports-no-feature: ${src}/kernel/app.ts → ${src}/rpc/index.ts`,
    `not-to-unresolvable: ${src}/kernel/app.ts → ./missing.js`,
    `no-circular: ${src}/handler/a.ts → ${src}/handler/b.ts → ${src}/handler/a.ts`,
    `no-deep-import: ${src}/channel/deep.ts → ${src}/rpc/rpc-client.ts`,
    `no-folder-cycle: ${src}/channel → ${src}/session → ${src}/channel`,
    `no-folder-cycle: ${src}/session → ${src}/channel → ${src}/session`,
    `features-not-up: ${src}/connector/connector.ts → ${src}/master/index.ts`,
    `features-not-up: ${src}/handler/uses-internal.ts → ${src}/internal.ts`,
    `control-not-up: ${src}/master/run.ts → ${src}/server/index.ts`,
    `runners-not-up: ${src}/server/index.ts → ${src}/testing/index.ts`,
    'protocol-not-to-node: packages/protocol/src/socket.ts → net',
    'no-relative-import-across-packages: packages/client/src/proto.ts → packages/protocol/src/index.ts',
  ];

  let fixture: string;
  let violations: string[];

  beforeAll(async () => {
    fixture = mkdtempSync(join(tmpdir(), 'shaddock-layering-'));
    for (const [path, source] of Object.entries(files)) {
      mkdirSync(dirname(join(fixture, path)), { recursive: true });
      writeFileSync(join(fixture, path), `${source.trim()}\n`);
    }
    violations = await check(fixture);
  });

  afterAll(() => {
    rmSync(fixture, { recursive: true, force: true });
  });

  it.each(expected)('%s', (violation) => {
    expect(violations).toContain(violation);
  });

  it('and nothing else does (tests, entries, subfolders and other packages are allowed)', () => {
    expect(violations).toEqual([...expected].sort());
  });
});
