// Checks on the workspace itself: the layering lint rule fires, and every package's exports map
// names types first and points at files the build produced.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const packages = ['packages/protocol', 'packages/client', 'packages/shaddock', 'packages/test-support'];

/** Lints `source` as if it stood at `path` in the workspace, with the workspace's Biome configuration. */
function lint(path: string, source: string): string {
  const scratch = mkdtempSync(join(tmpdir(), 'shaddock-lint-'));
  try {
    const configuration = JSON.parse(readFileSync(join(root, 'biome.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    delete configuration['$schema'];
    delete configuration['vcs'];
    writeFileSync(join(scratch, 'biome.json'), JSON.stringify(configuration));
    mkdirSync(dirname(join(scratch, path)), { recursive: true });
    writeFileSync(join(scratch, path), source);
    execFileSync(join(root, 'node_modules/.bin/biome'), ['lint', path], { cwd: scratch, stdio: 'pipe' });
    return '';
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    return `${stdout?.toString() ?? ''}${stderr?.toString() ?? ''}`;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

describe('workspace', () => {
  it('refuses imports that reach past a package entry', () => {
    const deep = "import { x } from '@shaddock/protocol/src/package.js';\nexport const y = x;\n";
    const relative = "import { x } from '../../protocol/src/package.js';\nexport const y = x;\n";
    const entry = "import { MessageCodec } from '@shaddock/protocol';\nexport const y = MessageCodec;\n";
    const internal = "import { RpcClient } from 'shaddock/internal';\nexport const y = RpcClient;\n";
    const pastInternal = "import { x } from 'shaddock/src/rpc/index.js';\nexport const y = x;\n";
    expect(lint('packages/client/src/example.ts', deep)).toContain('public entries');
    expect(lint('bench/src/example.ts', internal)).toBe('');
    expect(lint('bench/src/example.ts', pastInternal)).toContain('public entries');
    expect(lint('packages/client/src/example.ts', relative)).toContain("another package's files");
    expect(lint('packages/client/src/example.ts', entry)).toBe('');
  });

  it('has explicit exports maps, types first, pointing at built files', () => {
    for (const folder of packages) {
      const manifest = JSON.parse(readFileSync(join(root, folder, 'package.json'), 'utf8')) as {
        exports: Record<string, Record<string, string>>;
      };
      for (const [subpath, conditions] of Object.entries(manifest.exports)) {
        expect(subpath, folder).not.toContain('*');
        expect(Object.keys(conditions)[0], `${folder} ${subpath}`).toBe('types');
        for (const target of Object.values(conditions))
          expect(existsSync(join(root, folder, target)), target).toBe(true);
      }
    }
  });
});
